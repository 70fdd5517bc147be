using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Spool;
using MtaServerless.Edge.Sessions;

namespace MtaServerless.Edge;

/// <summary>
/// Binds the configured listeners, accepts connections and runs a session for each. On shutdown it stops
/// accepting, tells open sessions 421 and waits for them to close.
/// </summary>
public sealed class SmtpEdgeService : BackgroundService
{
    private readonly EdgeOptions _options;
    private readonly SmtpServerContext _server;
    private readonly ILogger _logger;
    private readonly List<(EdgeListenerOptions Options, Socket Socket)> _listeners = [];
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private long _lastConnectionId;

    public SmtpEdgeService(IOptions<EdgeOptions> options, IMessageSpool spool, TimeProvider time, ILogger<SmtpEdgeService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _server = new SmtpServerContext(_options, spool, time, logger);
    }

    /// <summary>The endpoints actually bound (a configured port 0 shows its ephemeral port), in listener order; filled once <see cref="StartAsync"/> has returned.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints { get; private set; } = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Binding here rather than in ExecuteAsync makes a port conflict fail the host start, and the ports known when it returns.
        var bound = new List<IPEndPoint>();
        foreach (var listener in _options.Listeners)
        {
            var endpoint = new IPEndPoint(IPAddress.Parse(listener.Address), listener.Port);
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endpoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(endpoint);
                socket.Listen();
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _listeners.Add((listener, socket));
            bound.Add((IPEndPoint)socket.LocalEndPoint!);
            EdgeLog.ListenerStarted(_logger, listener.Name, socket.LocalEndPoint!);
        }

        BoundEndpoints = bound;
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        foreach (var (_, socket) in _listeners)
        {
            socket.Dispose();
        }

        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(_listeners.Select(l => AcceptAsync(l.Options, l.Socket, stoppingToken))).ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
    }

    private async Task AcceptAsync(EdgeListenerOptions listener, Socket socket, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // A connection reset before it was accepted fails only that connection.
                EdgeLog.AcceptFailed(_logger, listener.Name, ex);
                continue;
            }

            var id = Interlocked.Increment(ref _lastConnectionId);
            _sessions[id] = RunSessionAsync(id, listener.Name, client, stoppingToken);
        }

        socket.Dispose();
        EdgeLog.ListenerStopped(_logger, listener.Name);
    }

    private async Task RunSessionAsync(long id, string listener, Socket client, CancellationToken stoppingToken)
    {
        // Lets the accept loop register this task before it can finish and unregister itself.
        await Task.Yield();
        var connectionId = id.ToString(CultureInfo.InvariantCulture);
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        try
        {
            EdgeLog.SessionStarted(_logger, connectionId, remote, listener);
            client.NoDelay = true;
            await using var stream = new NetworkStream(client, ownsSocket: true);
            await new SmtpConnection(_server, stream, connectionId, listener, remote).RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The last resort for one session: it must not take the listener down, and it must be seen.
            EdgeLog.SessionFailed(_logger, connectionId, ex);
        }
        finally
        {
            client.Dispose();
            _sessions.TryRemove(id, out _);
            EdgeLog.SessionEnded(_logger, connectionId);
        }
    }
}
