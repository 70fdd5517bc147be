using System.Buffers.Binary;
using System.Net;

namespace MtaServerless.Edge.Tests;

/// <summary>PROXY protocol v2 on a listener: the proxied client address is the one the edge records and judges.</summary>
public sealed class ProxyProtocolTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private static readonly Dictionary<string, string?> Proxied = new()
    {
        ["Edge:Listeners:0:ProxyProtocol"] = "true",
        ["Edge:ProxyNetworks:0"] = "127.0.0.0/8",

        // The proxy itself is on loopback and trusted; the client it speaks for is not.
        ["Edge:TrustedNetworks:0"] = "127.0.0.0/8",
    };

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("2001:db8::7")]
    public async Task Header_ProxiedClient_IsRecordedAndGetsNoRelay(string clientAddress)
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: Proxied);
        await using var client = await edge.ConnectAsync();

        await client.SendAsync(Header(0x21, new IPEndPoint(IPAddress.Parse(clientAddress), 40123)));
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@unrouted.example>", "554 5.7.1");
        await client.CommandAsync("RCPT TO:<someone@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("x\r\n.", "250 2.0.0");

        Assert.Equal(clientAddress, Assert.Single(edge.Spool.Committed).Session.ClientAddress);
    }

    [Fact]
    public async Task Header_LocalCommand_KeepsTheProxyAddress()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: Proxied);
        await using var client = await edge.ConnectAsync();

        await client.SendAsync(Header(0x20, null));
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@unrouted.example>", "250 2.1.5");
    }

    [Theory]
    [InlineData("EHLO client.example\r\n")]
    [InlineData("PROXY TCP4 203.0.113.7 127.0.0.1 40123 25\r\n")]
    public async Task Header_MissingOrVersion1_ClosesWithoutAWord(string start)
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: Proxied);
        await using var client = await edge.ConnectAsync();

        await client.SendAsync(start + new string('x', 32));

        // Closed (or reset, since unread input was pending) before any reply, the greeting included.
        await Assert.ThrowsAsync<IOException>(client.ReadReplyAsync);
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Header_FromAPeerOutsideTheProxyNetworks_IsNotBelievedAndTheConnectionClosesUnanswered()
    {
        // Loopback reaches the listener directly, around the proxy network, and claims a trusted client.
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?>
        {
            ["Edge:Listeners:0:ProxyProtocol"] = "true",
            ["Edge:ProxyNetworks:0"] = "192.0.2.0/24",
            ["Edge:TrustedNetworks:0"] = "10.0.0.0/8",
        });
        await using var client = await edge.ConnectAsync();

        await client.SendAsync(Header(0x21, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 40123)));

        // Closed (or reset, since the header was left unread) before any reply.
        await Assert.ThrowsAsync<IOException>(client.ReadReplyAsync);
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Options_ProxyProtocolWithoutProxyNetworks_FailTheStart()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Listeners:0:ProxyProtocol"] = "true" }));

        Assert.Contains("Edge:ProxyNetworks", failure.Message, StringComparison.Ordinal);
    }

    private static byte[] Header(byte command, IPEndPoint? source)
    {
        byte[] signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
        if (source is null)
        {
            return [.. signature, command, 0x00, 0x00, 0x00];
        }

        var address = source.Address.GetAddressBytes();
        var destination = (source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback).GetAddressBytes();
        var ports = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(ports, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(ports.AsSpan(2), 25);
        byte family = address.Length == 4 ? (byte)0x11 : (byte)0x21;

        // One TLV (PP2_TYPE_NOOP) after the addresses, which the edge must skip.
        byte[] tlv = [0x04, 0x00, 0x02, 0xAA, 0xBB];
        var length = (ushort)(address.Length * 2 + 4 + tlv.Length);
        return [.. signature, command, family, (byte)(length >> 8), (byte)length, .. address, .. destination, .. ports, .. tlv];
    }
}
