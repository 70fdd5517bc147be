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
    public void Hashed_IsStableAcrossCase_DiffersPerAddress_AndHidesTheAddress()
    {
        var protector = Protector(RecipientAddressMode.Hashed);

        var bob = protector.Protect("bob@example.com");

        Assert.Matches("^sha256:[0-9a-f]{32}$", bob);
        Assert.Equal(bob, protector.Protect("Bob@Example.COM"));
        Assert.NotEqual(bob, protector.Protect("bob@example.org"));
        Assert.DoesNotContain("example", bob, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_IsMasked() =>
        Assert.Equal(RecipientAddressMode.Masked, new TelemetryOptions().RecipientAddresses);

    private static RecipientAddressProtector Protector(RecipientAddressMode mode) =>
        new(Options.Create(new TelemetryOptions { RecipientAddresses = mode }));
}
