using System.Text.RegularExpressions;
using MtaServerless.Core.Deliveries;
using MtaServerless.Testing;

namespace MtaServerless.Cli.Tests;

public sealed class TraceCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Trace_MessageId_ListsEveryRecipientWithStateAndLastReply()
    {
        await AddAsync("msg-a", "bob@example.com", DeliveryStatus.Delivered, "250 2.0.0 Ok");
        await AddAsync("msg-a", "carol@example.com", DeliveryStatus.Deferred, "451 4.3.0 Try later");

        var run = await CliRun.RunAsync(azurite, "trace", "msg-a");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(3, run.Lines.Length);
        Assert.Contains(run.Lines, l => l.StartsWith("msg-a", StringComparison.Ordinal) && Regex.IsMatch(l, @"bob@example\.com\s+delivered\s+1\s") && l.Contains("250 2.0.0 Ok", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => Regex.IsMatch(l, @"carol@example\.com\s+deferred\s+1\s") && l.Contains("451 4.3.0 Try later", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trace_Address_FindsTheRecipientAcrossMessages()
    {
        await AddAsync("msg-b", "dave@example.com", DeliveryStatus.Delivered, "250 ok");
        await AddAsync("msg-c", "dave@example.com", DeliveryStatus.Failed, "550 5.1.1 No such user");
        await AddAsync("msg-c", "erin@example.com", DeliveryStatus.Delivered, "250 ok");

        var run = await CliRun.RunAsync(azurite, "trace", "dave@example.com");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["msg-b", "msg-c"], run.Lines.Skip(1).Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("erin@example.com", run.Output, StringComparison.Ordinal);
    }

    /// <summary>A stuck recipient is one whose due time is long past: the next attempt, or the end of the lease it is held under.</summary>
    [Fact]
    public async Task Trace_RecipientsNotFinal_ShowWhenTheyAreDue()
    {
        var due = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        await AddAsync("msg-d", "frank@example.com", DeliveryStatus.Deferred, "451 4.3.0 Try later", row => row.NextAttemptAt = due);
        await AddAsync("msg-d", "grace@example.com", DeliveryStatus.Leased, "451 4.3.0 Try later", row => row.LeaseExpiresAt = due.AddHours(1));
        await AddAsync("msg-d", "heidi@example.com", DeliveryStatus.Delivered, "250 2.0.0 Ok", row => row.NextAttemptAt = due);

        var run = await CliRun.RunAsync(azurite, "trace", "msg-d");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Lines, l => l.Contains("frank@example.com", StringComparison.Ordinal) && l.Contains("2026-12-01 10:00:00Z", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.Contains("grace@example.com", StringComparison.Ordinal) && l.Contains("2026-12-01 11:00:00Z", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.Contains("heidi@example.com", StringComparison.Ordinal) && !l.Contains("2026-12-01", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trace_Unknown_ExitsWithOne()
    {
        var run = await CliRun.RunAsync(azurite, "trace", "nobody@example.com");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("No delivery records for 'nobody@example.com'", run.Error, StringComparison.Ordinal);
    }

    private async Task AddAsync(string id, string recipient, string status, string reply, Action<DeliveryEntity>? change = null)
    {
        var row = DeliveryEntity.Queued(id, recipient, "*", DateTimeOffset.UtcNow);
        row.Status = status;
        row.LastReply = reply;
        row.Attempts = 1;
        change?.Invoke(row);
        await azurite.Storage.Deliveries.UpsertEntityAsync(row);
    }
}
