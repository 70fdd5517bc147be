using System.Text.Json.Nodes;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Bicep.Tests;

/// <summary>The workbook and the alerts query only the telemetry declared in telemetry.json, and are deployed verbatim.</summary>
[Collection(BicepCollection.Name)]
public sealed class MonitoringTests(BicepBuild build)
{
    private static readonly TelemetryContract Telemetry = TelemetryContract.Load();

    private static readonly string[] Sources = ["customEvents", "customMetrics"];

    public static TheoryData<string, string> QueryFiles() => KqlFile.All();

    [Theory]
    [MemberData(nameof(QueryFiles))]
    public void Query_IsWellFormed_AndUsesOnlyDeclaredTelemetry(string folder, string name)
    {
        var query = KqlFile.In(folder).Single(f => f.Name == name);

        Assert.Contains(query.Source, Sources);
        Assert.True(query.IsBalanced(), $"{name}: brackets or quotes do not pair up.");
        Assert.NotEmpty(query.TelemetryNames);
        Assert.All(query.TelemetryNames, n => Assert.Contains(n, Telemetry.Names));
        var declared = query.TelemetryNames.SelectMany(Telemetry.DimensionsOf).ToHashSet(StringComparer.Ordinal);
        Assert.All(query.Dimensions, d => Assert.True(declared.Contains(d), $"{name}: {d} is not a dimension of {string.Join(", ", query.TelemetryNames)}."));
    }

    [Fact]
    public void Telemetry_EveryDeclaredEventAndMetric_IsQueried()
    {
        var used = KqlFile.In("queries").Concat(KqlFile.In("alerts")).SelectMany(q => q.TelemetryNames).ToHashSet(StringComparer.Ordinal);

        Assert.All(Telemetry.Names, n => Assert.True(used.Contains(n), $"{n} is declared in telemetry.json but no query reads it."));
    }

    [Fact]
    public void Workbook_ShowsOutcomes_Latency_FailingHosts_Authentication_Queues_AndAbuse()
    {
        var queries = KqlFile.In("queries").ToDictionary(q => q.Name);

        Assert.Equal(Telemetry.Events.Keys.Where(IsMailFlow).Order(StringComparer.Ordinal), queries["outcomes-over-time.kql"].TelemetryNames.Order(StringComparer.Ordinal));
        Assert.Equal(Telemetry.Events.Keys.Where(n => !IsMailFlow(n) && n != TelemetryNames.MessageAuthenticated).Order(StringComparer.Ordinal), queries["abuse-signals.kql"].TelemetryNames.Order(StringComparer.Ordinal));
        Assert.Equal([TelemetryNames.MessageAuthenticated], queries["authentication-by-domain.kql"].TelemetryNames);
        Assert.Equal(Telemetry.DimensionsOf(TelemetryNames.MessageAuthenticated).Where(d => d != "MessageId").Order(StringComparer.Ordinal), queries["authentication-by-domain.kql"].Dimensions.Order(StringComparer.Ordinal));
        Assert.Contains("percentiles(", queries["delivery-latency.kql"].Query, StringComparison.Ordinal);
        Assert.Equal(["RemoteHost", "ReplyCode", "EnhancedStatusCode", "MessageId"], queries["failing-remote-hosts.kql"].Dimensions);
        Assert.Equal(["mta.queue.depth"], queries["queue-depth.kql"].TelemetryNames);
        Assert.Equal(["mta.queue.oldest_age"], queries["queue-oldest-age.kql"].TelemetryNames);
    }

    [Fact]
    public void Workbook_IsDeployed_WithEveryQueryFileVerbatim()
    {
        var template = ArmTemplate.ModuleTemplate(build.Main, "workbook");
        var workbook = Assert.Single(ArmTemplate.ResourcesOfType(template, "Microsoft.Insights/workbooks"));
        var strings = ArmTemplate.Strings(template).ToHashSet(StringComparer.Ordinal);

        Assert.Equal("[parameters('applicationInsightsId')]", workbook["properties"]!["sourceId"]!.GetValue<string>());
        Assert.StartsWith("[string(", workbook["properties"]!["serializedData"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("[guid(", ArmTemplate.ModuleParameter(build.Main, "workbook", "name")!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(KqlFile.In("queries"), q => Assert.True(strings.Contains(q.Text), $"The workbook does not carry {q.Name}."));
    }

    [Fact]
    public void Alerts_AreDeployed_WithEveryAlertQueryVerbatim_AndTheActionGroup()
    {
        var template = ArmTemplate.ModuleTemplate(build.Main, "alerts");
        var definitions = template["variables"]!["definitions"]!.AsArray();
        var strings = ArmTemplate.Strings(template).ToHashSet(StringComparer.Ordinal);
        var rule = Assert.Single(ArmTemplate.ResourcesOfType(template, "Microsoft.Insights/scheduledQueryRules"));

        Assert.Equal(KqlFile.In("alerts").Count, definitions.Count);
        Assert.All(KqlFile.In("alerts"), q => Assert.True(strings.Contains(q.Text), $"No alert carries {q.Name}."));
        Assert.Equal("[variables('actions')]", rule["properties"]!["actions"]!.GetValue<string>());
        Assert.Equal("[parameters('actionGroupId')]", ArmTemplate.ModuleParameter(build.Main, "alerts", "actionGroupId")!.GetValue<string>());
        Assert.Equal("[parameters('alertEmail')]", ArmTemplate.ModuleParameter(build.Main, "alerts", "alertEmail")!.GetValue<string>());
        Assert.Equal("[parameters('edgeCount')]", ArmTemplate.ModuleParameter(build.Main, "alerts", "edgeCount")!.GetValue<string>());
    }

    [Theory]
    [InlineData("/subscriptions/s/resourceGroups/ops/providers/Microsoft.Insights/actionGroups/oncall", "", "/subscriptions/s/resourceGroups/ops/providers/Microsoft.Insights/actionGroups/oncall", false)]
    [InlineData("/subscriptions/s/resourceGroups/ops/providers/Microsoft.Insights/actionGroups/oncall", "ops@example.com", "/subscriptions/s/resourceGroups/ops/providers/Microsoft.Insights/actionGroups/oncall", false)]
    [InlineData("", "ops@example.com", "the group made here", true)]
    [InlineData("", "", null, false)]
    public void Alerts_NotifyTheGivenGroup_ElseOneMadeForTheEmail_ElseNobody(string actionGroupId, string alertEmail, string? notified, bool created)
    {
        var template = ArmTemplate.ModuleTemplate(build.Main, "alerts");
        var evaluation = new ArmExpression(
            template,
            new Dictionary<string, object?> { ["actionGroupId"] = actionGroupId, ["alertEmail"] = alertEmail, ["namePrefix"] = "mta" },
            new Dictionary<string, object?> { ["resourceId"] = "the group made here" });
        var group = Assert.Single(ArmTemplate.ResourcesOfType(template, "Microsoft.Insights/actionGroups"));
        var actions = Assert.IsType<Dictionary<string, object?>>(evaluation.Variable("actions"));

        Assert.Equal(created, evaluation.Evaluate(group["condition"]!.GetValue<string>()));
        Assert.Equal(notified is null ? [] : new[] { notified }, actions.TryGetValue("actionGroups", out var groups) ? ((List<object?>)groups!).Cast<string>() : []);
        Assert.Equal(notified ?? "", evaluation.Output("actionGroupId"));
    }

    [Fact]
    public void ActionGroup_MailsTheAddress_WithTheCommonAlertSchema()
    {
        var template = ArmTemplate.ModuleTemplate(build.Main, "alerts");
        var group = Assert.Single(ArmTemplate.ResourcesOfType(template, "Microsoft.Insights/actionGroups"));
        var receiver = Assert.Single(group["properties"]!["emailReceivers"]!.AsArray())!;

        Assert.Equal("[parameters('alertEmail')]", receiver["emailAddress"]!.GetValue<string>());
        Assert.True(receiver["useCommonAlertSchema"]!.GetValue<bool>());
        Assert.Equal("Global", group["location"]!.GetValue<string>());
        Assert.InRange(group["properties"]!["groupShortName"]!.GetValue<string>().Length, 1, 12);
    }

    [Fact]
    public void Alerts_NameTheContractsQueues()
    {
        var alerts = KqlFile.In("alerts").ToDictionary(q => q.Name);

        Assert.Contains(StorageNames.PoisonSuffix, alerts["poison-queue-not-empty.kql"].Literals);
        Assert.Contains(StorageNames.DeliveryQueue, alerts["deferred-backlog-growing.kql"].Literals);
    }

    [Fact]
    public void EdgeNotReporting_LooksForTheRoleNameTheEdgeIsDeployedWith()
    {
        Assert.Contains(Telemetry.EdgeRoleName, KqlFile.In("alerts").Single(q => q.Name == "edge-not-reporting.kql").Literals);
        Assert.EndsWith(".roles.edge.cloudRoleName]", build.Main["variables"]!["edgeTelemetryRoleName"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[variables('edgeTelemetryRoleName')]", ArmTemplate.ModuleParameter(build.Main, "edges", "telemetryRoleName")!.GetValue<string>());

        var group = Assert.Single(ArmTemplate.ResourcesOfType(ArmTemplate.ModuleTemplate(build.Main, "edges"), "Microsoft.ContainerInstance/containerGroups"));
        var edge = group["properties"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "edge")!;
        Assert.Equal("[parameters('telemetryRoleName')]", ArmTemplate.NameValues(edge["properties"]!["environmentVariables"]!)["OTEL_SERVICE_NAME"]);
    }

    [Fact]
    public void Telemetry_IsValidJson_WithUniqueNames()
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Monitoring, "telemetry.json")))!;
        var names = root["events"]!.AsArray().Concat(root["metrics"]!.AsArray()).Select(n => n!["name"]!.GetValue<string>()).ToArray();

        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.StartsWith("mta.", n, StringComparison.Ordinal));
    }

    // Messages accepted and recipients are the mail flow; the results of authentication have their panel, and the edge's
    // throttling events are abuse signals, shown apart.
    private static bool IsMailFlow(string name) => name == TelemetryNames.MessageAccepted || name.StartsWith("mta.recipient.", StringComparison.Ordinal);
}
