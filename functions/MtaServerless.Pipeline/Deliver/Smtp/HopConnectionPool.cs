using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Routing;

namespace MtaServerless.Pipeline.Deliver.Smtp;

/// <summary>
/// What makes two connections interchangeable: the same host (and address, for an MX host), port, TLS
/// mode, certificate checking and credential. A connection authenticated with one credential is never
/// handed to a route with another.
/// </summary>
internal sealed record HopKey(NextHop Hop, TlsMode Tls, bool VerifyCertificate, string? CredentialRef);

/// <summary>
/// Open, greeted, secured and authenticated connections to next hops, kept between transactions of this
/// instance (Postfix's connection cache is the model): a connection goes back after a transaction and an
/// RSET that the hop accepted, waits at most <see cref="PipelineOptions.ConnectionIdleTimeout"/>, and is
/// reused only while younger than <see cref="PipelineOptions.ConnectionReuseLimit"/>. Each rented connection
/// belongs to one transaction at a time; concurrent runs each get their own.
/// </summary>
public sealed class HopConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<HopKey, ConcurrentStack<Idle>> _idle = new();
    private readonly TimeProvider _time;
    private readonly PipelineOptions _options;
    private readonly ITimer? _sweeper;
    private bool _disposed;

    public HopConnectionPool(IOptions<PipelineOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        if (Enabled)
        {
            // Idle connections hold a socket at the hop: they are closed when their idle time is up, not when someone next asks.
            _sweeper = time.CreateTimer(_ => Sweep(), null, _options.ConnectionIdleTimeout, _options.ConnectionIdleTimeout);
        }
    }

    public bool Enabled => _options.ConnectionIdleTimeout > TimeSpan.Zero && _options.ConnectionReuseLimit > TimeSpan.Zero;

    /// <returns>A connection ready for MAIL, or null when none is kept for this hop.</returns>
    internal HopConnection? TryRent(HopKey key)
    {
        if (!_idle.TryGetValue(key, out var stack))
        {
            return null;
        }

        while (stack.TryPop(out var idle))
        {
            if (IsUsable(idle) && idle.Connection.IsOpen)
            {
                return idle.Connection;
            }

            Close(idle.Connection);
        }

        return null;
    }

    /// <summary>Keeps a connection whose transaction is over and whose RSET the hop accepted; one too old is closed.</summary>
    internal void Return(HopKey key, HopConnection connection)
    {
        var idle = new Idle(connection, _time.GetUtcNow());
        if (_disposed || !Enabled || !IsUsable(idle))
        {
            Close(connection);
            return;
        }

        _idle.GetOrAdd(key, _ => new ConcurrentStack<Idle>()).Push(idle);
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync().ConfigureAwait(false);
        }

        var closing = new List<Task>();
        foreach (var stack in _idle.Values)
        {
            while (stack.TryPop(out var idle))
            {
                closing.Add(idle.Connection.QuitAndCloseAsync(_options.QuitTimeout));
            }
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    private bool IsUsable(Idle idle)
    {
        var now = _time.GetUtcNow();
        return now - idle.Since < _options.ConnectionIdleTimeout && now - idle.Connection.OpenedAt < _options.ConnectionReuseLimit;
    }

    private void Sweep()
    {
        foreach (var stack in _idle.Values)
        {
            // Pop everything, keep what is still usable: a concurrent Return meanwhile only adds to the stack.
            var kept = new List<Idle>();
            while (stack.TryPop(out var idle))
            {
                if (IsUsable(idle))
                {
                    kept.Add(idle);
                }
                else
                {
                    Close(idle.Connection);
                }
            }

            foreach (var idle in Enumerable.Reverse(kept))
            {
                stack.Push(idle);
            }
        }
    }

    /// <summary>In the background: nobody waits for an idle connection's QUIT.</summary>
    private void Close(HopConnection connection) => _ = connection.QuitAndCloseAsync(_options.QuitTimeout);

    private sealed record Idle(HopConnection Connection, DateTimeOffset Since);
}
