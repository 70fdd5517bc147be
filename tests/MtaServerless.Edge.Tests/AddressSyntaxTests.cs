namespace MtaServerless.Edge.Tests;

/// <summary>
/// RFC 5321 4.1.2 paths over a real conversation: a malformed sender gets 501 5.1.7 and a malformed recipient
/// 501 5.1.3 before any relay, route or user decision, and the session goes on.
/// </summary>
public sealed class AddressSyntaxTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    public static TheoryData<string> Malformed() =>
    [
        "a@@example.com",
        "a@b@example.com",
        ".a@example.com",
        "a.@example.com",
        "a..b@example.com",
        "a(comment)@example.com",
        "a[b]@example.com",
        "\"a\".\"b\"@example.com",
        "\"a\"b@example.com",
        "\"a\\\u0001\"@example.com",
        "a@example..com",
        "a@.example.com",
        "a@example.com.",
        "a@-example.com",
        "a@example-.com",
        "a@exa_mple.com",
        "a@[300.0.2.1]",
        "a@[192.0.2]",
        "a@[192.0.2.1.5]",
        "a@[IPv6:2001:db8::zz]",
        "a@[IPv6:fe80::1%eth0]",
        "a@[tag:value]",
        "a@[192.0.2.1",
        "@relay..example:a@example.com",
        "@relay.example,a@example.com",
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Mail_MalformedSender_Is501517AndTheSessionGoesOn(string address)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync($"MAIL FROM:<{address}>", "501 5.1.7");
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Rcpt_MalformedRecipient_Is501513BeforeTheRelayDecision(string address)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");

        await client.CommandAsync($"RCPT TO:<{address}>", "501 5.1.3");
        await client.CommandAsync("RCPT TO:<b@example.com>", "250 2.1.5");
    }

    [Theory]
    [InlineData("MAIL FROM:<\"john doe\"@example.org>", "250 2.1.0")]
    [InlineData("MAIL FROM:<\"a@b\\\"c\"@example.org>", "250 2.1.0")]
    [InlineData("MAIL FROM:<o'brien+tag@sub-1.example.org>", "250 2.1.0")]
    [InlineData("MAIL FROM:<a@[192.0.2.1]>", "250 2.1.0")]
    [InlineData("MAIL FROM:<a@[IPv6:2001:db8::1]>", "250 2.1.0")]
    [InlineData("MAIL FROM:<a@localhost>", "250 2.1.0")]
    [InlineData("MAIL FROM:<jörg@bücher.test> SMTPUTF8", "250 2.1.0")]
    [InlineData("MAIL FROM:<\"jörg müller\"@bücher.test> SMTPUTF8", "250 2.1.0")]
    [InlineData("MAIL FROM:<jörg..x@bücher.test> SMTPUTF8", "501 5.1.7")]
    [InlineData("MAIL FROM:<jörg@-bücher.test> SMTPUTF8", "501 5.1.7")]
    [InlineData("MAIL FROM:<jörg@bücher.test>", "553 5.6.7")]
    public async Task Mail_Rfc5321AndRfc6531Paths_AreJudgedByTheGrammar(string command, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync(command, expected);
    }

    [Theory]
    [InlineData("someone@[192.0.2.1]")]
    [InlineData("someone@[IPv6:2001:db8::1]")]
    public async Task Rcpt_AddressLiteral_IsValidSyntaxButRoutesNowhere(string address)
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:TrustedNetworks:0"] = "127.0.0.0/8" });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");

        await client.CommandAsync($"RCPT TO:<{address}>", "550 5.1.2");
    }
}
