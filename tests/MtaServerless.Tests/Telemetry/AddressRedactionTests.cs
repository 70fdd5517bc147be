using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Tests.Telemetry;

/// <summary>Mail addresses in exported log records, through the shared registration and an in-memory exporter.</summary>
public sealed class AddressRedactionTests
{
    [Fact]
    public void Exception_WhoseTextHoldsAddresses_IsExportedWithThemProtected_AndItsTypeNamed()
    {
        var inner = new IOException("connection to mx for carol@example.net reset");
        var reply = new InvalidOperationException("550 5.1.1 <bob@example.com>: Recipient address rejected", inner);

        var exported = Assert.Single(Export(RecipientAddressMode.Masked, reply)).Exception!;

        Assert.DoesNotContain("bob@example.com", exported, StringComparison.Ordinal);
        Assert.DoesNotContain("carol@example.net", exported, StringComparison.Ordinal);
        Assert.Contains("550 5.1.1 <b***@example.com>: Recipient address rejected", exported, StringComparison.Ordinal);
        Assert.Contains("c***@example.net", exported, StringComparison.Ordinal);
        Assert.StartsWith(typeof(InvalidOperationException).FullName!, exported, StringComparison.Ordinal);
        Assert.Contains(typeof(IOException).FullName!, exported, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RecipientAddressMode.Masked, "no reply from 192.0.2.1:25 within 00:00:30")]
    [InlineData(RecipientAddressMode.Clear, "550 5.1.1 <bob@example.com>: Recipient address rejected")]
    public void Exception_WithoutAddressesOrUnderClear_IsExportedAsItIs(RecipientAddressMode mode, string message)
    {
        var failure = new InvalidOperationException(message);

        var exported = Assert.Single(Export(mode, failure));

        Assert.Equal(failure.ToString(), exported.Exception);
        Assert.Equal(typeof(InvalidOperationException), exported.ExceptionType);
    }

    private static List<CapturedLog> Export(RecipientAddressMode mode, Exception exception) =>
        CapturedTelemetry.Logs(
            new Dictionary<string, string?> { ["Telemetry:RecipientAddresses"] = mode.ToString() },
            loggers => loggers.CreateLogger("MtaServerless.Pipeline.Deliver.SmtpRelay").LogWarning(exception, "Relay failed"));
}
