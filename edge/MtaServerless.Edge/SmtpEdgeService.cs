using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Protocol;
using MtaServerless.Edge.Sessions;
using MtaServerless.Edge.Telemetry;
using MtaServerless.Edge.Tls;

namespace MtaServerless.Edge;

/// <summary>
/// Binds the configured listeners, accepts connections and runs a session for each. On shutdown it
/// keeps accepting only to answer 421 4.3.2, lets open transactions finish within the grace period,
/// then closes.
/// </summary>
public sealed class SmtpEdgeService : BackgroundService
{
    // A refusal to a client that does not read must not hold anything open.
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(5);

    private readonly EdgeOptions _options;
    private readonly SmtpServerContext _server;
    private readonly ConnectionLimiter _limiter;
    private readonly EdgeTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly List<(EdgeListenerOptions Options, Socket Socket)> _listeners = [];
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private long _lastConnectionId;

    public SmtpEdgeService(IOptions<EdgeOptions> options, IMessageSpool spool, MtaStorageClients storage, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options.Value;
        _logger = loggers.CreateLogger<SmtpEdgeService>();
        _limiter = new ConnectionLimiter(_options.Limits.MaxConnections, _options.Limits.MaxConnectionsPerAddress);

        // The edge's own caches: its TTL is its own, and it shares no state with the pipeline in one process.
        var routes = new RouteCatalog(storage.Routes, time, loggers.CreateLogger<RouteCatalog>(), _options.DirectoryCacheTtl);
        var users = new UserDirectory(storage.Tables.GetTableClient(StorageNames.UsersTable), time, loggers.CreateLogger<UserDirectory>(), _options.DirectoryCacheTtl);
        var tls = new TlsCertificateProvider(_options.Tls, _logger);
        _telemetry = new EdgeTelemetry(_options.Listeners.Select(l => l.Name), loggers);
        _server = new SmtpServerContext(_options, spool, routes, users, tls, time, _telemetry, _logger);
    }

    /// <summary>The endpoints actually bound (a configured port 0 shows its ephemeral port), in listener order; filled once <see cref="StartAsync"/> has returned.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints { get; private set; } = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // A certificate that cannot be loaded fails the start, not the first STARTTLS.
        if (_server.Tls.IsConfigured)
        {
            _server.Tls.GetContext();
        }

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

        _telemetry.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(_listeners.Select(l => AcceptAsync(l.Options, l.Socket, stoppingToken))).ConfigureAwait(false);

        // While sessions finish their transactions, newcomers are told to come back later rather than refused by TCP.
        using var drained = new CancellationTokenSource();
        var refusing = _listeners.Select(l => RefuseAsync(l.Socket, drained.Token)).ToArray();
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
        await drained.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(refusing).ConfigureAwait(false);
        foreach (var (listener, socket) in _listeners)
        {
            socket.Dispose();
            EdgeLog.ListenerStopped(_logger, listener.Name);
        }
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
            catch (ObjectDisposedException)
            {
                // Disposed without a graceful stop (a failed host start): the listener is gone.
                return;
            }
            catch (SocketException ex)
            {
                // A connection reset before it was accepted fails only that connection.
                EdgeLog.AcceptFailed(_logger, listener.Name, ex);
                continue;
            }

            var id = Interlocked.Increment(ref _lastConnectionId);
            _sessions[id] = RunSessionAsync(id, listener, client, stoppingToken);
        }
    }

    private async Task RefuseAsync(Socket socket, CancellationToken drained)
    {
        while (true)
        {
            try
            {
                using var client = await socket.AcceptAsync(drained).ConfigureAwait(false);
                await SendRefusalAsync(client, SmtpRejection.ShuttingDown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (drained.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                // The host was disposed before the drain ended: the listener is gone, nothing is left to refuse.
                return;
            }
            catch (SocketException ex)
            {
                EdgeLog.AcceptFailed(_logger, "(stopping)", ex);
            }
        }
    }

    private async Task RunSessionAsync(long id, EdgeListenerOptions listener, Socket client, CancellationToken stoppingToken)
    {
        // Lets the accept loop register this task before it can finish and unregister itself.
        await Task.Yield();
        var connectionId = id.ToString(CultureInfo.InvariantCulture);
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        var acquired = false;
        try
        {
            if (listener.ProxyProtocol)
            {
                // A peer that reaches the listener around the proxy would otherwise claim any address, a trusted one included.
                if (!_server.IsProxy(remote.Address))
                {
                    EdgeLog.ProxyPeerRefused(_logger, connectionId, remote, listener.Name);
                    return;
                }

                remote = await ReadProxyHeaderAsync(client, remote, stoppingToken).ConfigureAwait(false);
            }

            acquired = _limiter.TryAcquire(remote.Address);
            if (!acquired)
            {
                EdgeLog.ConnectionLimited(_logger, remote);
                await SendRefusalAsync(client, SmtpRejection.TooManyConnections).ConfigureAwait(false);
                return;
            }

            EdgeLog.SessionStarted(_logger, connectionId, remote, listener.Name);
            _telemetry.ConnectionOpened(listener.Name);
            client.NoDelay = true;
            await using var stream = new NetworkStream(client, ownsSocket: true);
            await new SmtpConnection(_server, stream, connectionId, listener, remote).RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            // Not our proxy, or not a proxy at all: no SMTP word to whoever it is.
            EdgeLog.ProxyHeaderInvalid(_logger, connectionId, ex);
        }
        catch (Exception ex)
        {
            // The last resort for one session: it must not take the listener down, and it must be seen.
            EdgeLog.SessionFailed(_logger, connectionId, ex);
        }
        finally
        {
            if (acquired)
            {
                _limiter.Release(remote.Address);
                _telemetry.ConnectionClosed(listener.Name);
            }

            client.Dispose();
            _sessions.TryRemove(id, out _);
            EdgeLog.SessionEnded(_logger, connectionId);
        }
    }

    private async Task<IPEndPoint> ReadProxyHeaderAsync(Socket client, IPEndPoint proxy, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.CommandTimeout);
        try
        {
            return await ProxyProtocolHeader.ReadAsync(client, proxy, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && timeout.IsCancellationRequested))
        {
            throw new InvalidDataException("No PROXY protocol header arrived.", ex);
        }
    }

    private async Task SendRefusalAsync(Socket client, SmtpRejection rejection)
    {
        using var timeout = new CancellationTokenSource(RefusalTimeout);
        try
        {
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            SmtpRejections.Reply(rejection).WriteTo(writer);
            await client.SendAsync(writer.WrittenMemory, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            EdgeLog.AcceptFailed(_logger, "(refused)", ex);
        }
    }
}
