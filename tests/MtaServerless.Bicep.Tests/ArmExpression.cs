using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace MtaServerless.Bicep.Tests;

/// <summary>
/// Evaluates the template language of a compiled ARM template the way Resource Manager does, for the functions the
/// templates use on values that do not depend on Azure: parameters (given, or their defaults), variables (copy loops
/// included), user-defined functions, lambdas, <c>if</c> evaluating only the branch it takes, and <c>fail</c>, which
/// throws <see cref="ArmDeploymentFailure"/>. Anything that needs a deployment (<c>reference</c>,
/// <c>resourceGroup</c> unless given, <c>uniqueString</c>) fails the test: no value for it would be honest.
/// </summary>
internal sealed class ArmExpression
{
    private readonly JsonObject _template;
    private readonly IReadOnlyDictionary<string, object?> _parameters;
    private readonly IReadOnlyDictionary<string, object?> _deployment;
    private readonly Dictionary<string, object?> _lambdaVariables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _copyIndexes = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="template">The template whose parameters, variables and functions the expressions read.</param>
    /// <param name="parameters">Parameter values; a parameter not given takes its default.</param>
    /// <param name="deployment">Deployment functions given a value, such as <c>resourceGroup</c> (an object).</param>
    public ArmExpression(JsonObject template, IReadOnlyDictionary<string, object?>? parameters = null, IReadOnlyDictionary<string, object?>? deployment = null)
    {
        _template = template;
        _parameters = parameters ?? new Dictionary<string, object?>();
        _deployment = deployment ?? new Dictionary<string, object?>();
    }

    /// <summary>A string of the template as Resource Manager sees it: an expression in brackets, or a literal.</summary>
    public object? Evaluate(string value)
    {
        if (!value.StartsWith('[') || !value.EndsWith(']'))
        {
            return value;
        }

        if (value.StartsWith("[[", StringComparison.Ordinal))
        {
            return value[1..];
        }

        var parser = new Parser(value[1..^1]);
        var expression = parser.ParseExpression();
        parser.ExpectEnd();
        return Evaluate(expression);
    }

    /// <summary>A JSON value of the template, every string in it evaluated.</summary>
    public object? Evaluate(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => Evaluate(p.Value), StringComparer.OrdinalIgnoreCase),
        JsonArray a => a.Select(Evaluate).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => Evaluate(s),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v => v.GetValue<long>(),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    public object? Variable(string name)
    {
        var copy = _template["variables"]?["copy"]?.AsArray().FirstOrDefault(c => Same(c!["name"]!.GetValue<string>(), name));
        if (copy is not null)
        {
            return Loop(name, copy["count"], copy["input"]);
        }

        var value = _template["variables"]?[name];
        Assert.True(value is not null, $"The template has no variable '{name}'.");
        return Evaluate(value);
    }

    public object? Output(string name)
    {
        var output = _template["outputs"]?[name];
        Assert.True(output is not null, $"The template has no output '{name}'.");
        return output["copy"] is JsonObject copy ? Loop(name, copy["count"], copy["input"]) : Evaluate(output["value"]);
    }

    private List<object?> Loop(string name, JsonNode? count, JsonNode? input)
    {
        var items = new List<object?>();
        for (var i = 0; i < ToInt(Evaluate(count)); i++)
        {
            _copyIndexes[name] = i;
            items.Add(Evaluate(input));
        }

        _copyIndexes.Remove(name);
        return items;
    }

    private object? Parameter(string name)
    {
        if (_parameters.TryGetValue(name, out var value))
        {
            return value;
        }

        var declared = _template["parameters"]?[name];
        Assert.True(declared is not null, $"The template has no parameter '{name}'.");
        Assert.True(declared["defaultValue"] is not null, $"The parameter '{name}' has no default and no value was given.");
        return Evaluate(declared["defaultValue"]);
    }

    private object? Evaluate(Node node) => node switch
    {
        Literal literal => literal.Value,
        Member member => Property(Evaluate(member.Target), member.Name),
        Index index => Element(Evaluate(index.Target), Evaluate(index.Key)),
        Call call => Invoke(call),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private object? Invoke(Call call)
    {
        object? Arg(int i) => Evaluate(call.Arguments[i]);
        List<object?> Args() => call.Arguments.Select(Evaluate).ToList();

        if (call.Name.Contains('.', StringComparison.Ordinal))
        {
            return UserFunction(call.Name, Args());
        }

        if (_deployment.TryGetValue(call.Name, out var given))
        {
            return given;
        }

        switch (call.Name.ToLowerInvariant())
        {
            case "parameters": return Parameter(ToText(Arg(0)));
            case "variables": return Variable(ToText(Arg(0)));
            case "lambdavariables": return _lambdaVariables[ToText(Arg(0))];
            case "copyindex":
                return (long)(call.Arguments.Count > 0 && Arg(0) is string loop ? _copyIndexes[loop] : _copyIndexes.Values.Single());
            case "if": return ToBool(Arg(0)) ? Arg(1) : Arg(2);
            case "fail": throw new ArmDeploymentFailure(ToText(Arg(0)));
            case "not": return !ToBool(Arg(0));
            case "and": return call.Arguments.All(a => ToBool(Evaluate(a)));
            case "or": return call.Arguments.Any(a => ToBool(Evaluate(a)));
            case "equals": return Equal(Arg(0), Arg(1));
            case "empty": return Arg(0) switch { null => true, string s => s.Length == 0, List<object?> l => l.Count == 0, Dictionary<string, object?> d => d.Count == 0, _ => false };
            case "length": return (long)(Arg(0) switch { string s => s.Length, List<object?> l => l.Count, Dictionary<string, object?> d => d.Count, var v => throw Unsupported(call, v) });
            case "contains":
                return Arg(0) switch
                {
                    string s => s.Contains(ToText(Arg(1)), StringComparison.Ordinal),
                    List<object?> l => l.Any(item => Equal(item, Arg(1))),
                    Dictionary<string, object?> d => d.ContainsKey(ToText(Arg(1))),
                    var v => throw Unsupported(call, v),
                };
            case "startswith": return ToText(Arg(0)).StartsWith(ToText(Arg(1)), StringComparison.OrdinalIgnoreCase);
            case "endswith": return ToText(Arg(0)).EndsWith(ToText(Arg(1)), StringComparison.OrdinalIgnoreCase);
            case "tolower": return ToText(Arg(0)).ToLowerInvariant();
            case "substring": return ToText(Arg(0)).Substring(ToInt(Arg(1)), ToInt(Arg(2)));
            case "take": return Arg(0) is string text ? text[..Math.Min(text.Length, ToInt(Arg(1)))] : ToList(Arg(0)).Take(ToInt(Arg(1))).ToList();
            case "range": return Enumerable.Range(ToInt(Arg(0)), ToInt(Arg(1))).Select(i => (object?)(long)i).ToList();
            case "add": return (long)ToInt(Arg(0)) + ToInt(Arg(1));
            case "createarray": return Args();
            case "createobject":
                var pairs = Args();
                return Enumerable.Range(0, pairs.Count / 2).ToDictionary(i => ToText(pairs[2 * i]), i => pairs[(2 * i) + 1], StringComparer.OrdinalIgnoreCase);
            case "concat":
                var parts = Args();
                return parts.All(p => p is List<object?>) ? parts.SelectMany(p => (List<object?>)p!).ToList() : string.Concat(parts.Select(ToText));
            case "join": return string.Join(ToText(Arg(1)), ToList(Arg(0)).Select(ToText));
            case "format":
                var arguments = Args();
                return string.Format(CultureInfo.InvariantCulture, ToText(arguments[0]), arguments.Skip(1).Select(a => a is bool b ? (b ? "True" : "False") : a).ToArray());
            case "filter": return ToList(Arg(0)).Where(item => ToBool(Apply(call.Arguments[1], item))).ToList();
            case "map": return ToList(Arg(0)).Select(item => Apply(call.Arguments[1], item)).ToList();
            case "union":
                var merged = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var part in Args().Cast<Dictionary<string, object?>>())
                {
                    foreach (var (key, value) in part)
                    {
                        merged[key] = value;
                    }
                }

                return merged;
            default:
                Assert.Fail($"'{call.Name}' depends on a deployment (or is not evaluated here): no honest value for it.");
                return null;
        }
    }

    /// <summary>A <c>lambda('x', body)</c> argument applied to one value.</summary>
    private object? Apply(Node lambda, object? value)
    {
        Assert.True(lambda is Call { Name: var name, Arguments.Count: 2 } && Same(name, "lambda"), "Expected a lambda with one variable.");
        var call = (Call)lambda;
        var variable = ToText(Evaluate(call.Arguments[0]));
        _lambdaVariables[variable] = value;
        try
        {
            return Evaluate(call.Arguments[1]);
        }
        finally
        {
            _lambdaVariables.Remove(variable);
        }
    }

    private object? UserFunction(string qualifiedName, List<object?> arguments)
    {
        var (space, member) = (qualifiedName[..qualifiedName.IndexOf('.', StringComparison.Ordinal)], qualifiedName[(qualifiedName.IndexOf('.', StringComparison.Ordinal) + 1)..]);
        var definition = _template["functions"]?.AsArray()
            .Where(f => Same(f!["namespace"]!.GetValue<string>(), space))
            .Select(f => f!["members"]?[member])
            .FirstOrDefault(m => m is not null);
        Assert.True(definition is not null, $"The template defines no function {qualifiedName}.");

        // A user-defined function sees only its own parameters, as in Resource Manager.
        var names = definition["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToArray();
        var scope = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < names.Length; i++)
        {
            scope[names[i]] = arguments[i];
        }

        var body = new JsonObject { ["parameters"] = new JsonObject(names.Select(n => KeyValuePair.Create(n, (JsonNode?)new JsonObject()))), ["functions"] = _template["functions"]?.DeepClone() };
        return new ArmExpression(body, scope).Evaluate(definition["output"]!["value"]);
    }

    private static object? Property(object? target, string name) => target switch
    {
        Dictionary<string, object?> d when d.TryGetValue(name, out var value) => value,
        _ => throw new InvalidOperationException($"No property '{name}' on {Describe(target)}."),
    };

    private static object? Element(object? target, object? key) => target switch
    {
        List<object?> l => l[ToInt(key)],
        Dictionary<string, object?> d => Property(d, ToText(key)),
        _ => throw new InvalidOperationException($"Cannot index {Describe(target)}."),
    };

    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.Equals(x, y, StringComparison.OrdinalIgnoreCase),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
        _ => Equals(a, b),
    };

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static bool ToBool(object? value) => value is bool b ? b : throw new InvalidOperationException($"Not a bool: {Describe(value)}.");

    private static int ToInt(object? value) => value is long l ? checked((int)l) : throw new InvalidOperationException($"Not an integer: {Describe(value)}.");

    private static string ToText(object? value) => value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        _ => throw new InvalidOperationException($"Not a string: {Describe(value)}."),
    };

    private static List<object?> ToList(object? value) => value as List<object?> ?? throw new InvalidOperationException($"Not an array: {Describe(value)}.");

    private static string Describe(object? value) => value?.GetType().Name ?? "null";

    private static InvalidOperationException Unsupported(Call call, object? value) => new($"{call.Name} of {Describe(value)}.");

    private abstract record Node;

    private sealed record Literal(object? Value) : Node;

    private sealed record Member(Node Target, string Name) : Node;

    private sealed record Index(Node Target, Node Key) : Node;

    private sealed record Call(string Name, IReadOnlyList<Node> Arguments) : Node;

    /// <summary>Resource Manager's expression grammar: literals, calls, <c>.property</c> and <c>[index]</c>.</summary>
    private sealed class Parser(string text)
    {
        private int _position;

        public Node ParseExpression()
        {
            var node = ParsePrimary();
            while (true)
            {
                SkipSpace();
                if (Peek('.'))
                {
                    _position++;
                    node = new Member(node, ReadName());
                }
                else if (Peek('['))
                {
                    _position++;
                    var key = ParseExpression();
                    Expect(']');
                    node = new Index(node, key);
                }
                else
                {
                    return node;
                }
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            Assert.True(_position == text.Length, $"Unexpected '{text[_position..]}' in [{text}].");
        }

        private Node ParsePrimary()
        {
            SkipSpace();
            if (Peek('\''))
            {
                return new Literal(ReadString());
            }

            if (_position < text.Length && (char.IsAsciiDigit(text[_position]) || text[_position] == '-'))
            {
                var start = _position++;
                while (_position < text.Length && char.IsAsciiDigit(text[_position]))
                {
                    _position++;
                }

                return new Literal(long.Parse(text[start.._position], CultureInfo.InvariantCulture));
            }

            var name = ReadName();
            if (name is "true" or "false" && !Peek('('))
            {
                return new Literal(name == "true");
            }

            // A user-defined function is namespace.member(...).
            while (Peek('.') && !Peek('('))
            {
                _position++;
                name += "." + ReadName();
            }

            Expect('(');
            var arguments = new List<Node>();
            SkipSpace();
            if (!Peek(')'))
            {
                do
                {
                    arguments.Add(ParseExpression());
                    SkipSpace();
                }
                while (TryConsume(','));
            }

            Expect(')');
            return new Call(name, arguments);
        }

        private string ReadString()
        {
            var value = new StringBuilder();
            _position++;
            while (true)
            {
                Assert.True(_position < text.Length, $"Unterminated string in [{text}].");
                if (text[_position] == '\'')
                {
                    if (_position + 1 < text.Length && text[_position + 1] == '\'')
                    {
                        value.Append('\'');
                        _position += 2;
                        continue;
                    }

                    _position++;
                    return value.ToString();
                }

                value.Append(text[_position++]);
            }
        }

        private string ReadName()
        {
            SkipSpace();
            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '_' or '$'))
            {
                _position++;
            }

            Assert.True(_position > start, $"Expected a name at {start} in [{text}].");
            return text[start.._position];
        }

        private bool Peek(char c) => _position < text.Length && text[_position] == c;

        private bool TryConsume(char c)
        {
            SkipSpace();
            if (!Peek(c))
            {
                return false;
            }

            _position++;
            return true;
        }

        private void Expect(char c) => Assert.True(TryConsume(c), $"Expected '{c}' at {_position} in [{text}].");

        private void SkipSpace()
        {
            while (_position < text.Length && text[_position] == ' ')
            {
                _position++;
            }
        }
    }
}

/// <summary>The template's <c>fail()</c>: Resource Manager would stop the deployment with this message.</summary>
internal sealed class ArmDeploymentFailure(string message) : Exception(message);
