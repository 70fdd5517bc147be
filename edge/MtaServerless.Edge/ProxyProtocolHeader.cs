using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MtaServerless.Edge;

/// <summary>
/// Reads the PROXY protocol v2 header (haproxy's proxy-protocol.txt, section 2.2) straight from the socket,
/// exactly as many octets as it declares, so the SMTP session starts on the first byte after it.
/// </summary>
internal static class ProxyProtocolHeader
{
    private const int FixedLength = 16;

    // A header is addresses plus optional TLVs; anything larger than this is not a proxy talking.
    private const int MaxPayload = 1024;

    private static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <returns>The client the proxy speaks for; <paramref name="proxy"/> itself for a LOCAL (health check) connection or an unspecified family.</returns>
    /// <exception cref="InvalidDataException">The connection did not start with a valid v2 header.</exception>
    public static async Task<IPEndPoint> ReadAsync(Socket socket, IPEndPoint proxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var head = new byte[FixedLength];
        await ReceiveExactlyAsync(socket, head, cancellationToken).ConfigureAwait(false);
        if (!head.AsSpan(0, Signature.Length).SequenceEqual(Signature) || head[12] >> 4 != 2)
        {
            throw new InvalidDataException("Not a PROXY protocol v2 header.");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(14));
        if (length > MaxPayload)
        {
            throw new InvalidDataException("PROXY protocol v2 header too long.");
        }

        var payload = new byte[length];
        await ReceiveExactlyAsync(socket, payload, cancellationToken).ConfigureAwait(false);
        var command = head[12] & 0x0F;
        if (command == 0)
        {
            return proxy;
        }

        if (command != 1)
        {
            throw new InvalidDataException("Unknown PROXY protocol v2 command.");
        }

        return (head[13] >> 4, head[13] & 0x0F) switch
        {
            (1, 1) when length >= 12 => new IPEndPoint(new IPAddress(payload.AsSpan(0, 4)), BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(8))),
            (2, 1) when length >= 36 => new IPEndPoint(new IPAddress(payload.AsSpan(0, 16)), BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(32))),
            (0, _) => proxy,
            _ => throw new InvalidDataException("Unsupported PROXY protocol v2 address family."),
        };
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidDataException("The connection closed inside the PROXY protocol header.");
            }

            buffer = buffer[read..];
        }
    }
}
