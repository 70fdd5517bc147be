using Azure.Storage.Queues.Models;

namespace MtaServerless.Testing;

/// <summary>How a queue message sent with time-to-live -1 ("never expires") reads back.</summary>
public static class QueueExpiry
{
    /// <summary>The service reports "never" as an expiry at the end of year 9999; the default time-to-live is 7 days.</summary>
    public static void AssertNeverExpires(PeekedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Xunit.Assert.True(message.ExpiresOn is { Year: 9999 }, $"Queue message {message.MessageId} expires on {message.ExpiresOn:O}.");
    }
}
