using System.Text.Json.Nodes;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Sweep;

namespace MtaServerless.Bicep.Tests;

/// <summary>The deployed storage account holds exactly the contract's names (read from <see cref="StorageNames"/>) and no key access.</summary>
[Collection(BicepCollection.Name)]
public sealed class StorageTemplateTests(BicepBuild build)
{
    [Fact]
    public void Queues_AreTheContractsQueues_PoisonQueuesIncluded()
    {
        var deployed = LiteralNames("Microsoft.Storage/storageAccounts/queueServices/queues");

        Assert.Equal(StorageNames.Queues.Order(StringComparer.Ordinal), deployed);
        Assert.Contains(StorageNames.InboundQueue + StorageNames.PoisonSuffix, deployed);
        Assert.Contains(StorageNames.DeliveryQueue + StorageNames.PoisonSuffix, deployed);
    }

    [Fact]
    public void Containers_AreTheContractsContainers_PlusTheDeploymentPackageContainer()
    {
        Assert.Equal(StorageNames.Containers.Order(StringComparer.Ordinal), LiteralNames("Microsoft.Storage/storageAccounts/blobServices/containers"));

        var all = ArmTemplate.ResourcesOfType(Storage, "Microsoft.Storage/storageAccounts/blobServices/containers").ToArray();
        Assert.Equal(StorageNames.Containers.Count + 1, all.Length);
        var deploymentContainer = ArmTemplate.ModuleParameter(build.Main, "storage", "deploymentContainerName")!.GetValue<string>();
        Assert.DoesNotContain(deploymentContainer, StorageNames.Containers);
    }

    [Fact]
    public void Tables_AreTheContractsTables()
    {
        Assert.Equal(StorageNames.Tables.Order(StringComparer.Ordinal), LiteralNames("Microsoft.Storage/storageAccounts/tableServices/tables"));
    }

    [Fact]
    public void Account_IsStorageV2_WithoutSharedKeys_PublicBlobs_OrOldTls()
    {
        var account = Assert.Single(ArmTemplate.ResourcesOfType(Storage, "Microsoft.Storage/storageAccounts"));
        var properties = account["properties"]!;

        Assert.Equal("StorageV2", account["kind"]!.GetValue<string>());
        Assert.False(properties["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.False(properties["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(properties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", properties["minimumTlsVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Lifecycle_DeletesOnlySpoolBlobs_UnmodifiedForTheMaximumLifetimePlusAMargin()
    {
        var policy = Assert.Single(ArmTemplate.ResourcesOfType(Storage, "Microsoft.Storage/storageAccounts/managementPolicies"));
        var rule = Assert.Single(policy["properties"]!["policy"]!["rules"]!.AsArray())!;
        var prefix = Assert.Single(rule["definition"]!["filters"]!["prefixMatch"]!.AsArray())!.GetValue<string>();
        var delete = rule["definition"]!["actions"]!["baseBlob"]!["delete"]!.AsObject();
        var days = delete["daysAfterModificationGreaterThan"]!.GetValue<string>();
        // Counted from creation, a message still unfinished past that age would lose its bytes.
        Assert.False(delete.ContainsKey("daysAfterCreationGreaterThan"));

        Assert.Equal($"[format('{{0}}/', '{StorageNames.SpoolContainer}')]", prefix);
        Assert.Equal("[parameters('spoolRetentionDays')]", days);
        Assert.Equal(
            "[add(parameters('pipelineMaxLifetimeDays'), parameters('spoolRetentionMarginDays'))]",
            ArmTemplate.ModuleParameter(build.Main, "storage", "spoolRetentionDays")!.GetValue<string>());
        Assert.True(build.Main["parameters"]!["spoolRetentionMarginDays"]!["minValue"]!.GetValue<int>() >= 1);
    }

    /// <summary>
    /// The sweeper visits an unfinished message at least every <see cref="Sweeper.RevisitAfter"/> and a timer tick,
    /// and refreshes its blob at the first visit that finds the last refresh (or the arrival) that old: at most two
    /// such gaps apart. The shortest retention the template allows leaves half a day to spare, and more.
    /// </summary>
    [Fact]
    public void Lifecycle_ShortestRetention_OutlastsTheLongestGapBetweenTheSweepersRefreshes()
    {
        var shortest = TimeSpan.FromDays(
            build.Main["parameters"]!["pipelineMaxLifetimeDays"]!["minValue"]!.GetValue<int>()
            + build.Main["parameters"]!["spoolRetentionMarginDays"]!["minValue"]!.GetValue<int>());
        var longestGap = Sweeper.RevisitAfter + Sweeper.RevisitAfter + TimeSpan.FromMinutes(5);

        Assert.True(shortest - longestGap >= TimeSpan.FromHours(12), $"{shortest} of retention against {longestGap} between refreshes.");
    }

    [Fact]
    public void MaxLifetime_DefaultsToThePipelinesDefault()
    {
        var days = build.Main["parameters"]!["pipelineMaxLifetimeDays"]!["defaultValue"]!.GetValue<int>();

        Assert.Equal(new PipelineOptions().MaxLifetime, TimeSpan.FromDays(days));
    }

    private JsonObject Storage => ArmTemplate.ModuleTemplate(build.Main, "storage");

    /// <summary>Names that are literals; a name from a parameter (the deployment container) is left out.</summary>
    private string[] LiteralNames(string type)
    {
        var names = ArmTemplate.ResourcesOfType(Storage, type)
            .Select(r => ArmTemplate.LastLiteral(r["name"]!.GetValue<string>()))
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.NotEmpty(names);
        return names;
    }
}
