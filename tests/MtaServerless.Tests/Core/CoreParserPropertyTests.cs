using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Core;

/// <summary>
/// Property tests over the parsers that read what clients and queues hand us: addresses, domains,
/// table keys and queue documents. Whatever the input, they answer or refuse in their documented way.
/// </summary>
public sealed class CoreParserPropertyTests
{
    private static readonly RouteTable Routes = new([new Route("*", RouteAction.Mx), new Route("*.example.com", RouteAction.Smarthost, "relay.test")]);

    [FuzzProperty(500, Arbitrary = [typeof(MailText)])]
    public void MailboxAddress_AnyText_ParsesToANormalizedDomainOrIsRefused(string text)
    {
        if (MailboxAddress.TryParse(text, out var mailbox))
        {
            Assert.Equal(text[..text.LastIndexOf('@')], mailbox.LocalPart);
            Assert.Equal(mailbox.Domain, DomainName.Normalize(mailbox.Domain));
        }
    }

    [FuzzProperty(500, Arbitrary = [typeof(MailText)])]
    public void RouteTable_AnyDomain_ResolvesOrRefusesWithAFormatException(string domain)
    {
        Route? route;
        try
        {
            route = Routes.Resolve(domain);
        }
        catch (FormatException)
        {
            return;
        }

        Assert.NotNull(route);
    }

    [FuzzProperty(500)]
    public void RecipientKey_AnyString_HasNoForbiddenCharacterAndDecodesBack(NonNull<string> recipient)
    {
        var key = RecipientKey.Encode(recipient.Get);

        Assert.DoesNotContain(key, c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));
        Assert.Equal(recipient.Get, RecipientKey.Decode(key));
    }

    [FuzzProperty(300, Arbitrary = [typeof(MailText)])]
    public void QueueDocuments_AnyText_DeserializeOrRefuseWithAJsonException(string text)
    {
        try
        {
            var inbound = QueueDocuments.DeserializeInbound(text);
            Assert.Equal(DocumentVersion.Current, inbound.V);
        }
        catch (JsonException)
        {
        }

        try
        {
            var task = QueueDocuments.DeserializeDelivery(text);
            Assert.Equal(DocumentVersion.Current, task.V);
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>Strings made mostly of what addresses, domains and JSON are built from, and of what breaks them.</summary>
    public static class MailText
    {
        public static Arbitrary<string> Strings()
        {
            var interesting = Gen.Elements('@', '.', '-', '*', '"', '\\', '%', '!', ':', '[', ']', '{', '}', ',', ' ', '\0', '\r', '\n', 'a', 'Z', '0', 'ü', 'ß', '\u0085', '\uD800', '\u200B');
            var any = ArbMap.Default.GeneratorFor<char>();
            var pieces = Gen.Elements("xn--", "example.com", "{\"v\":1,", "\"id\":\"x\"", "bob@", "..", new string('a', 64), "}");
            var piece = Gen.Frequency((6, Gen.Frequency((4, interesting), (1, any)).Select(c => c.ToString())), (1, pieces));
            return Gen.ListOf(piece).Select(string.Concat).ToArbitrary();
        }
    }
}
