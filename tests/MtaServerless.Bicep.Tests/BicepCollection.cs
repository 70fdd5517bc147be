namespace MtaServerless.Bicep.Tests;

/// <summary>Every test class shares one compiler run: building all files takes a few seconds, not one per class.</summary>
[CollectionDefinition(Name)]
public sealed class BicepCollection : ICollectionFixture<BicepBuild>
{
    public const string Name = "bicep";
}
