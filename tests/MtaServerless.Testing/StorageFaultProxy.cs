using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MtaServerless.Testing;

/// <summary>What the proxy does to a request that matches a rule.</summary>
public enum StorageFault
{
    /// <summary>Answer <c>503 Server Busy</c> and close, as a throttled storage account does.</summary>
    ServerBusy,

    /// <summary>Answer <c>500 Internal Server Error</c> and close.</summary>
    InternalError,

    /// <summary>Close the connection without an answer.</summary>
    Drop,

    /// <summary>Reset the connection (TCP RST).</summary>
    Reset,

    /// <summary>Pass the request on and close the connection before its answer: the service did it, the client cannot know.</summary>
    LoseResponse,
}

/// <summary>
/// A TCP proxy on loopback in front of one Azurite service that can fail chosen HTTP requests.
/// Requests are recognised at their boundaries (the Azure SDK sends a Content-Length with every
/// body and waits for each response), responses pass through untouched.
/// </summary>
public sealed class StorageFaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<(Func<string, bool> Matches, StorageFault Fault, int Remaining)> _rules = [];
    private readonly Lock _gate = new();
    private int _faulted;
    private volatile bool _cutOff;

    /// <summary>Every request line that reached the proxy, in order: what a test failure shows.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();

    public StorageFaultProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many requests the proxy failed so far.</summary>
    public int Faulted => Volatile.Read(ref _faulted);

    /// <summary>
    /// Fails the next <paramref name="times"/> requests that match. The predicate sees the whole request
    /// as text: the request line first (e.g. <c>PUT /devstoreaccount1/spool/x?comp=blocklist HTTP/1.1</c>),
    /// then headers and body, so that it can tell apart the entity group transactions of one table.
    /// </summary>
    public void FailNext(Func<string, bool> request, StorageFault fault, int times = 1)
    {
        lock (_gate)
        {
            _rules.Add((request, fault, times));
        }
    }

    /// <summary>
    /// Storage goes away, as in an outage: from now every request (on a connection old or new) is answered
    /// with a reset connection until <see cref="Restore"/>. Requests already passed on still get their answer.
    /// </summary>
    public void CutOff() => _cutOff = true;

    public void Restore() => _cutOff = false;

    /// <summary>The connection string of an Azurite connection string with one endpoint moved behind this proxy.</summary>
    public string Route(string connectionString, string endpointName) =>
        Regex.Replace(connectionString, $@"({endpointName}=http://127\.0\.0\.1:){_targetPort}/", $"${{1}}{Port}/");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            await using var clientStream = new NetworkStream(client, ownsSocket: false);
            await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
            var responses = upstreamStream.CopyToAsync(clientStream, _stop.Token);
            while (await ReadRequestAsync(clientStream) is { } request)
            {
                Requests.Enqueue(request.Line);
                if ((_cutOff ? StorageFault.Reset : TakeFault(Encoding.Latin1.GetString(request.Bytes))) is { } fault)
                {
                    Interlocked.Increment(ref _faulted);
                    if (fault == StorageFault.LoseResponse)
                    {
                        await ApplyUnseenAsync(request.Bytes);
                    }

                    await InjectAsync(client, clientStream, fault);
                    return;
                }

                await upstreamStream.WriteAsync(request.Bytes, _stop.Token);
            }

            await responses.WaitAsync(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private StorageFault? TakeFault(string request)
    {
        lock (_gate)
        {
            var index = _rules.FindIndex(r => r.Remaining > 0 && r.Matches(request));
            if (index < 0)
            {
                return null;
            }

            var rule = _rules[index];
            _rules[index] = rule with { Remaining = rule.Remaining - 1 };
            return rule.Fault;
        }
    }

    /// <summary>Sends the request on a connection of its own and waits for the first byte of the answer, which the client never gets.</summary>
    private async Task ApplyUnseenAsync(byte[] request)
    {
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        await using var stream = new NetworkStream(upstream, ownsSocket: false);
        await stream.WriteAsync(request, _stop.Token);
        await stream.ReadExactlyAsync(new byte[1], _stop.Token);
    }

    private static async Task InjectAsync(Socket client, NetworkStream stream, StorageFault fault)
    {
        switch (fault)
        {
            case StorageFault.ServerBusy:
            case StorageFault.InternalError:
                var status = fault == StorageFault.ServerBusy ? "503 Server Busy" : "500 Internal Server Error";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                client.Shutdown(SocketShutdown.Both);
                break;
            case StorageFault.Reset:
                client.LingerState = new LingerOption(true, 0);
                break;
            default:
                client.Shutdown(SocketShutdown.Both);
                break;
        }
    }

    /// <summary>One whole request (headers and Content-Length body), or null when the client closed.</summary>
    private async Task<(string Line, byte[] Bytes)?> ReadRequestAsync(NetworkStream stream)
    {
        var head = new MemoryStream();
        var window = 0u;
        var one = new byte[1];
        while (window != 0x0D0A0D0A)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }

            head.WriteByte(one[0]);
            window = (window << 8) | one[0];
        }

        var headers = Encoding.ASCII.GetString(head.GetBuffer(), 0, (int)head.Length);
        var length = Regex.Match(headers, @"\r\nContent-Length:\s*(\d+)", RegexOptions.IgnoreCase) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, _stop.Token);
        head.Write(body);
        return (headers[..headers.IndexOf("\r\n", StringComparison.Ordinal)], head.ToArray());
    }
}
