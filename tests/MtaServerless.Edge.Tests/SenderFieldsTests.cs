using System.Text;
using FsCheck;
using MimeKit;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Protocol;
using MtaServerless.Edge.Sessions;
using MtaServerless.Testing;
using MailboxAddress = MtaServerless.Core.Mail.MailboxAddress;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// The streaming check of From: and Sender: against MimeKit, an independent reader of the same header: whatever
/// the fields and however the bytes are cut, a message passes exactly when every mailbox MimeKit finds in those
/// fields is one the login may use.
/// </summary>
public sealed class SenderFieldsTests
{
    private static readonly SenderPermissions Permissions = SenderPermissions.For(new UserAccount("writer@example.org", null, false)
    {
        AllowedSenders = ["Team.Lead@example.org", "*@xn--bcher-kva.test", "\"first last\"@example.org"],
    });

    private static readonly string[] Fields =
    [
        "From: Writer <writer@example.org>",
        "From: writer@EXAMPLE.org (the writer)",
        "From: \"Lead, Team\" <Team.Lead@example.org>, anyone@bücher.test",
        "From: ceo@example.org",
        "From: \"Writer\" <ceo@example.org>",
        "from: Writer\r\n <ceo@example.org>",
        "From: Team.Lead@example.org,\r\n\tteam.lead@example.org",
        "Sender: writer@example.org",
        "SENDER: \"first last\"@example.org",
        "Sender: Someone <someone@bücher.test>",
        "Sender: ceo@example.org",
        "Subject: From: ceo@example.org",
        "X-From: ceo@example.org",
        "Reply-To: ceo@example.org",
        "Received: from ceo@example.org\r\n\tby x; Sat, 28 Nov 2026 14:00:00 +0000",
    ];

    [FuzzProperty(300)]
    public void Check_AnyFieldsAnySplit_PassesExactlyWhenMimeKitFindsOnlyAllowedMailboxes(int[] picks, PositiveInt splitEvery)
    {
        var header = string.Concat(picks.Select(p => Fields[Math.Abs(p % Fields.Length)] + "\r\n"));
        var bytes = Encoding.UTF8.GetBytes(header + "\r\nFrom: ceo@example.org\r\n");
        using var check = new SenderFieldsCheck(Permissions);

        foreach (var chunk in bytes.Chunk(splitEvery.Get))
        {
            check.Inspect(chunk);
        }

        check.Finish();
        Assert.Equal(MimeKitAllows(bytes), check.Refused is null);
    }

    [Theory]
    [InlineData("Writer <writer@example.org>", "writer@example.org")]
    [InlineData("\"a, b\" <x@example.org>, (c) y@Example.ORG", "x@example.org|y@example.org")]
    [InlineData("John Q. Public <john.q@example.org>", "john.q@example.org")]
    [InlineData("\"a b\".c@example.org", "\"a b.c\"@example.org")]
    [InlineData("\"\\\"x\\\"\"@example.org", "\"\\\"x\\\"\"@example.org")]
    [InlineData("<@a.example,@b.example:x@example.org>", "x@example.org")]
    [InlineData("Group: a@example.org, b@example.org;, c@example.org", "a@example.org|b@example.org|c@example.org")]
    [InlineData("undisclosed-recipients:;", "")]
    [InlineData(",, a@example.org,", "a@example.org")]
    [InlineData("x@bücher.test", "x@xn--bcher-kva.test")]
    [InlineData("x@[192.0.2.1]", "x@[192.0.2.1]")]
    public void TryParse_AddressLists_YieldTheirMailboxes(string value, string expected)
    {
        var mailboxes = new List<MailboxAddress>();

        Assert.True(HeaderAddressList.TryParse(value, mailboxes));
        Assert.Equal(expected, string.Join('|', mailboxes));
    }

    [Theory]
    [InlineData("a@example.org <b@example.org>")]
    [InlineData("Writer")]
    [InlineData("<>")]
    [InlineData("\"open <a@example.org>")]
    [InlineData("(open a@example.org")]
    [InlineData("a@example.org)")]
    [InlineData("Group: a@example.org")]
    [InlineData("Group: Inner: a@example.org;;")]
    [InlineData("a@exa_mple.org")]
    [InlineData("a@example.org.")]
    [InlineData("a.@example.org")]
    [InlineData("a@example.org b@example.org")]
    public void TryParse_WhatIsNoAddressList_IsRefused(string value)
    {
        Assert.False(HeaderAddressList.TryParse(value, []));
    }

    private static bool MimeKitAllows(byte[] message)
    {
        using var stream = new MemoryStream(message);
        foreach (var header in HeaderList.Load(stream).Where(h => h.Id is HeaderId.From or HeaderId.Sender))
        {
            if (!InternetAddressList.TryParse(header.Value, out var list))
            {
                return false;
            }

            foreach (var mailbox in list.Mailboxes)
            {
                if (!Core.Mail.MailboxAddress.TryParse(mailbox.Address, out var address) || !Permissions.Allows(address))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
