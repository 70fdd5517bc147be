using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using MtaServerless.LocalRunner;

namespace MtaServerless.Testing;

/// <summary>One message as the remote MTA received it: envelope and the bytes of DATA, dot-unstuffed, ending in CRLF.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, byte[] Data)
{
    public DateTimeOffset ArrivedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The user the session authenticated as (AUTH); null without.</summary>
    public string? AuthUser { get; init; }
}

/// <summary>
/// The remote MTA (a smarthost) on loopback: cosullivan's SmtpServer, an SMTP implementation
/// independent of ours. A script decides the reply to each end-of-data.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly RecordingStore _store;
    private int _sessions;

    private SmtpSink(int port, Func<int, CancellationToken, Task<SmtpResponse>> replyToData, IReadOnlyDictionary<string, string>? users = null)
    {
        Port = port;
        _store = new RecordingStore(replyToData);
        var options = new SmtpServerOptionsBuilder()
            .ServerName("sink.localhost")
            .Endpoint(endpoint =>
            {
                endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, port));
                if (users is not null)
                {
                    // STARTTLS offered, AUTH only after it and required before MAIL: a smarthost as providers run them.
                    endpoint.Certificate(SelfSignedCertificate.Create("sink.localhost")).AllowUnsecureAuthentication(false).AuthenticationRequired();
                }
            })
            .Build();
        var services = new ServiceProvider();
        services.Add(_store);
        if (users is not null)
        {
            services.Add(new DelegatingUserAuthenticator((user, password) => users.TryGetValue(user, out var expected) && expected == password));
        }

        _server = new SmtpServer.SmtpServer(options, services);
        _server.SessionCreated += (_, _) => Interlocked.Increment(ref _sessions);
        _running = _server.StartAsync(_stop.Token);
    }

    public int Port { get; }

    /// <summary>Messages the sink accepted (it replied 250 to their DATA).</summary>
    public IReadOnlyCollection<ReceivedMail> Accepted => _store.Accepted;

    /// <summary>How many times a client reached end-of-data, whatever the reply.</summary>
    public int DataAttempts => _store.Attempts;

    /// <summary>How many SMTP sessions (connections) clients have opened.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Every message a client sent to end-of-data, whatever the reply, in order.</summary>
    public IReadOnlyCollection<ReceivedMail> Offered => _store.Offered;

    /// <param name="replyToData">Given the 1-based number of this end-of-data, the reply to send; default 250.</param>
    public static SmtpSink Start(Func<int, SmtpResponse>? replyToData = null) =>
        new(AzuriteProcess.FreePorts().Blob, (attempt, _) => Task.FromResult(replyToData?.Invoke(attempt) ?? SmtpResponse.Ok));

    /// <summary>A sink that offers STARTTLS (a self-signed certificate) and requires AUTH after it, with these users and passwords.</summary>
    public static SmtpSink StartWithAuth(IReadOnlyDictionary<string, string> users) =>
        new(AzuriteProcess.FreePorts().Blob, (_, _) => Task.FromResult(SmtpResponse.Ok), users);

    /// <param name="replyToData">As above, but the reply may wait: a benchmark holds replies to keep relays in flight.</param>
    public static SmtpSink Start(Func<int, CancellationToken, Task<SmtpResponse>> replyToData) =>
        new(AzuriteProcess.FreePorts().Blob, replyToData);

    public static SmtpResponse Reply(int code, string text) => new((SmtpReplyCode)code, text);

    public async Task<ReceivedMail> WaitForAcceptedAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (_store.Accepted.Count < count)
        {
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The sink accepted {_store.Accepted.Count} of {count} messages within {timeout} ({_store.Attempts} DATA attempts).");
            }
        }

        return _store.Accepted.First();
    }

    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private sealed class RecordingStore(Func<int, CancellationToken, Task<SmtpResponse>> replyToData) : MessageStore
    {
        private readonly ConcurrentQueue<ReceivedMail> _accepted = new();
        private readonly ConcurrentQueue<ReceivedMail> _offered = new();
        private int _attempts;

        public IReadOnlyCollection<ReceivedMail> Accepted => _accepted;

        public IReadOnlyCollection<ReceivedMail> Offered => _offered;

        public int Attempts => Volatile.Read(ref _attempts);

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            // Taken at end-of-data, before a reply that may wait: the arrival time and the bytes as they came.
            // SmtpServer counts the CRLF before the final dot as part of the terminator; RFC 5321 4.1.1.4 says it ends the last line.
            var mail = new ReceivedMail(
                transaction.From.AsAddress(),
                transaction.To.Select(to => to.AsAddress()).ToList(),
                [.. buffer.ToArray(), (byte)'\r', (byte)'\n'])
            {
                AuthUser = context.Authentication.IsAuthenticated ? context.Authentication.User : null,
            };
            _offered.Enqueue(mail);
            var reply = await replyToData(Interlocked.Increment(ref _attempts), cancellationToken).ConfigureAwait(false);
            if (reply.ReplyCode == SmtpReplyCode.Ok)
            {
                _accepted.Enqueue(mail);
            }

            return reply;
        }
    }
}
