using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Tests.Telemetry;

public sealed class RecipientAddressProtectorTests
{
    [Theory]
    [InlineData(RecipientAddressMode.Masked, "bob@example.com", "b***@example.com")]
    [InlineData(RecipientAddressMode.Masked, "x@example.com", "x***@example.com")]
    [InlineData(RecipientAddressMode.Masked, "not-an-address", "***")]
    [InlineData(RecipientAddressMode.Clear, "bob@example.com", "bob@example.com")]
    public void Protect_ShowsWhatTheModeAllows(RecipientAddressMode mode, string address, string expected) =>
        Assert.Equal(expected, Protector(mode).Protect(address));

    [Fact]
    public void Hashed_IsStableAcrossCase_DiffersPerAddressAndKey_AndHidesTheAddress()
    {
        var protector = Protector(RecipientAddressMode.Hashed);

        var bob = protector.Protect("bob@example.com");

        Assert.Matches("^hmac:[0-9a-f]{32}$", bob);
        Assert.Equal(bob, protector.Protect("Bob@Example.COM"));
        Assert.NotEqual(bob, protector.Protect("bob@example.org"));
        Assert.NotEqual(bob, Protector(RecipientAddressMode.Hashed, "another-secret-of-16+").Protect("bob@example.com"));
        Assert.DoesNotContain("example", bob, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    public void Hashed_WithoutAKeyOfSixteenCharacters_StopsTheHostWithTheSettingsName(string? key)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telemetry:RecipientAddresses"] = "Hashed",
            ["Telemetry:RecipientHashKey"] = key,
        }).Build();
        using var services = new ServiceCollection().AddMtaTelemetryOptions(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<RecipientAddressProtector>());

        Assert.Contains("Telemetry:RecipientHashKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_IsMasked() =>
        Assert.Equal(RecipientAddressMode.Masked, new TelemetryOptions().RecipientAddresses);

    private static RecipientAddressProtector Protector(RecipientAddressMode mode, string key = "a-test-secret-of-16+") =>
        new(Options.Create(new TelemetryOptions { RecipientAddresses = mode, RecipientHashKey = key }));
}
