using System.Text;
using MtaServerless.Core.Dkim;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// Malformed input is a result, never an exception: a message dkimpy signed and sealed, with one octet of a
/// DKIM-Signature, ARC-Seal, ARC-Message-Signature or ARC-Authentication-Results field replaced, inserted or removed
/// (a fixed seed, so a failure repeats; <see cref="FuzzBudget"/> scales the count).
/// </summary>
public sealed class SignatureVerifierRobustnessTests : IDisposable
{
    private const string Domain = "robust.example";
    private const string Alphabet = ";=:, \t\r\nab0+/-@.\u00e9";
    private static readonly string[] Fields = ["DKIM-Signature:", "ARC-Seal:", "ARC-Message-Signature:", "ARC-Authentication-Results:"];
    private readonly SigningKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task MutatedSignaturesAndSeals_AreResults_NeverExceptions()
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.RsaSha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, "rsa-sha256");
        var text = Encoding.UTF8.GetString(await Dkimpy.ArcSignAsync(signed, key, "sel1", Domain, "mx." + Domain, _keys.Dns.Endpoint));
        var random = new Random(FuzzBudget.Seed);
        var verdicts = new HashSet<(AuthVerdict Dkim, AuthVerdict Arc)>();

        for (var i = 0; i < 400 * FuzzBudget.Scale; i++)
        {
            var start = text.IndexOf(Fields[random.Next(Fields.Length)], StringComparison.Ordinal);
            var at = random.Next(text.IndexOf(':', start) + 1, FieldEnd(text, start));
            var octet = Alphabet[random.Next(Alphabet.Length)].ToString();
            var mutated = random.Next(3) switch
            {
                0 => text.Remove(at, 1).Insert(at, octet),
                1 => text.Insert(at, octet),
                _ => text.Remove(at, 1),
            };

            var results = await _keys.VerifyAsync(Encoding.UTF8.GetBytes(mutated));

            verdicts.Add((results.Dkim.FirstOrDefault()?.Verdict ?? AuthVerdict.None, results.Arc.Verdict));
        }

        // The mutations reach past the parsers: some signatures still verify, others fail or are permerror.
        Assert.Contains(verdicts, v => v.Dkim == AuthVerdict.Pass);
        Assert.Contains(verdicts, v => v.Dkim is AuthVerdict.Fail or AuthVerdict.PermError);
        Assert.Contains(verdicts, v => v.Arc == AuthVerdict.Fail);
    }

    /// <summary>Where the field that starts at <paramref name="start"/> ends: the CRLF not followed by folding white space.</summary>
    private static int FieldEnd(string text, int start)
    {
        var end = text.IndexOf("\r\n", start, StringComparison.Ordinal);
        while (text[end + 2] is ' ' or '\t')
        {
            end = text.IndexOf("\r\n", end + 2, StringComparison.Ordinal);
        }

        return end;
    }
}
