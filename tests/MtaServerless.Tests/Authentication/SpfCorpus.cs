using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>One SPF case: the records it needs, the query, and the verdict RFC 7208 gives.</summary>
/// <param name="Pyspf">pyspf's verdict where it differs from the RFC's on purpose (documented at the case); null when they agree.</param>
public sealed record SpfCase(string Name, SpfQuery Query, string Expected, Action<LoopbackDnsServer> Zone, string? Pyspf = null);

/// <summary>
/// The cases our verifier and pyspf both check against one loopback zone: every mechanism and qualifier, macros,
/// include and redirect, the limits of RFC 7208 4.6.4, syntax errors and DNS failures. Each case has names of its own.
/// </summary>
public static class SpfCorpus
{
    private const string Client = "192.0.2.10";
    private const string Client6 = "2001:db8:1::10";
    private const string Outside = "198.51.100.77";
    private const string Helo = "mail.client.test";

    public static IReadOnlyList<SpfCase> Cases { get; } = Build();

    /// <summary>A TXT record in strings of at most 255 octets, as a long SPF record is published.</summary>
    public static LoopbackDnsServer Record(this LoopbackDnsServer dns, string name, string text) =>
        dns.Txt(name, text.Chunk(255).Select(c => new string(c)));

    private static List<SpfCase> Build()
    {
        var cases = new List<SpfCase>();
        void Add(string name, string client, string mailFrom, string expected, Action<LoopbackDnsServer> zone, string helo = Helo, string? pyspf = null) =>
            cases.Add(new SpfCase(name, new SpfQuery(client, helo, mailFrom), expected, zone, pyspf));

        // ip4 and ip6, qualifiers, the default result.
        Add("ip4-pass", Client, "a@ip4.test", "pass", d => d.Record("ip4.test", "v=spf1 ip4:192.0.2.0/24 -all"));
        Add("ip4-fail", Outside, "a@ip4.test", "fail", _ => { });
        Add("ip4-softfail", Outside, "a@soft.test", "softfail", d => d.Record("soft.test", "v=spf1 ip4:192.0.2.1 ~all"));
        Add("ip4-neutral-qualifier", Client, "a@neutral.test", "neutral", d => d.Record("neutral.test", "v=spf1 ?ip4:192.0.2.0/24 -all"));
        Add("ip4-plus-qualifier", Client, "a@plus.test", "pass", d => d.Record("plus.test", "v=spf1 +ip4:192.0.2.10 -all"));
        Add("ip4-host-only", Client, "a@host4.test", "fail", d => d.Record("host4.test", "v=spf1 ip4:192.0.2.11 -all"));
        Add("ip4-slash0", Outside, "a@any4.test", "pass", d => d.Record("any4.test", "v=spf1 ip4:0.0.0.0/0 -all"));
        Add("ip4-slash31-in", "192.0.2.3", "a@pair.test", "pass", d => d.Record("pair.test", "v=spf1 ip4:192.0.2.2/31 -all"));
        Add("ip4-slash31-out", "192.0.2.4", "a@pair.test", "fail", _ => { });
        Add("ip4-odd-prefix", "192.0.2.200", "a@odd.test", "pass", d => d.Record("odd.test", "v=spf1 ip4:192.0.2.192/27 -all"));
        Add("no-match-is-neutral", Client, "a@nomatch.test", "neutral", d => d.Record("nomatch.test", "v=spf1 ip4:192.0.2.1"));
        Add("empty-record", Client, "a@empty.test", "neutral", d => d.Record("empty.test", "v=spf1"));
        Add("uppercase-record", Client, "a@upper.test", "pass", d => d.Record("upper.test", "V=SPF1 IP4:192.0.2.0/24 -ALL"));
        Add("extra-spaces", Client, "a@spaces.test", "pass", d => d.Record("spaces.test", "v=spf1   ip4:192.0.2.10    -all  "));
        Add("ip6-pass", Client6, "a@ip6.test", "pass", d => d.Record("ip6.test", "v=spf1 ip6:2001:db8::/32 -all"));
        Add("ip6-fail", "2001:db9::1", "a@ip6.test", "fail", _ => { });
        Add("ip6-host", Client6, "a@host6.test", "pass", d => d.Record("host6.test", "v=spf1 ip6:2001:db8:1::10 -all"));
        Add("ip6-record-ipv4-client", Client, "a@ip6.test", "fail", _ => { });
        Add("ip4-record-ipv6-client", Client6, "a@ip4.test", "fail", _ => { });
        Add("ipv4-mapped-client", "::ffff:192.0.2.10", "a@ip4.test", "pass", _ => { });
        Add("ipv4-mapped-client-fail", "::ffff:198.51.100.77", "a@ip4.test", "fail", _ => { });
        Add("ipv4-mapped-client-not-ip6", "::ffff:192.0.2.10", "a@mapped6.test", "fail", d => d.Record("mapped6.test", "v=spf1 ip6:::ffff:192.0.2.0/120 -all"));
        Add("ipv4-mapped-client-asks-a", "::ffff:192.0.2.20", "a@a.test", "pass", _ => { });

        // a, with single and dual CIDR lengths.
        Add("a-own-domain", "192.0.2.20", "a@a.test", "pass", d => d.Record("a.test", "v=spf1 a -all").Address("a.test", "192.0.2.20"));
        Add("a-other-domain", "192.0.2.21", "a@a-other.test", "pass", d => d.Record("a-other.test", "v=spf1 a:host.a-other.test -all").Address("host.a-other.test", "192.0.2.21"));
        Add("a-cidr24", "192.0.2.99", "a@a24.test", "pass", d => d.Record("a24.test", "v=spf1 a/24 -all").Address("a24.test", "192.0.2.20"));
        Add("a-without-cidr-misses-neighbour", "192.0.2.99", "a@a.test", "fail", _ => { });
        Add("a-dual-cidr-ipv6", "2001:db8:a::ffff", "a@a64.test", "pass", d => d.Record("a64.test", "v=spf1 a//64 -all").Address("a64.test", "2001:db8:a::1"));
        Add("a-ipv6-exact-misses", "2001:db8:a::ffff", "a@a128.test", "fail", d => d.Record("a128.test", "v=spf1 a -all").Address("a128.test", "2001:db8:a::1"));
        Add("a-dual-cidr-ipv4", "192.0.2.130", "a@adual.test", "pass", d => d.Record("adual.test", "v=spf1 a:h.adual.test/25//64 -all").Address("h.adual.test", "192.0.2.140"));
        Add("a-ipv6-client-asks-aaaa", "192.0.2.20", "a@a6only.test", "fail", d => d.Record("a6only.test", "v=spf1 a -all").Address("a6only.test", "2001:db8:b::1"));
        Add("a-nodata", Client, "a@anodata.test", "fail", d => d.Record("anodata.test", "v=spf1 a -all"));

        // mx.
        Add("mx-pass", "192.0.2.30", "a@mx.test", "pass", d => d.Record("mx.test", "v=spf1 mx -all").Mx("mx.test", 10, "mx1.mx.test").Address("mx1.mx.test", "192.0.2.30"));
        Add("mx-second-host", "192.0.2.31", "a@mx2.test", "pass", d => d.Record("mx2.test", "v=spf1 mx -all").Mx("mx2.test", 10, "a.mx2.test").Mx("mx2.test", 20, "b.mx2.test").Address("a.mx2.test", "192.0.2.30").Address("b.mx2.test", "192.0.2.31"));
        Add("mx-cidr", "192.0.2.44", "a@mxcidr.test", "pass", d => d.Record("mxcidr.test", "v=spf1 mx:mx.test/26 -all"));
        Add("mx-miss", Outside, "a@mx.test", "fail", _ => { });
        Add("mx-ipv6", "2001:db8:c::5", "a@mx6.test", "pass", d => d.Record("mx6.test", "v=spf1 mx//48 -all").Mx("mx6.test", 10, "h.mx6.test").Address("h.mx6.test", "2001:db8:c::1"));
        Add("mx-nodata", Client, "a@mxnone.test", "fail", d => d.Record("mxnone.test", "v=spf1 mx -all"));
        Add("mx-ten-names", "192.0.2.79", "a@mx10.test", "pass", d => ManyMx(d.Record("mx10.test", "v=spf1 mx -all"), "mx10.test", 10));
        Add("mx-eleven-names", "192.0.2.79", "a@mx11.test", "permerror", d => ManyMx(d.Record("mx11.test", "v=spf1 mx -all"), "mx11.test", 11));

        // ptr: validated names only.
        Add("ptr-subdomain", "192.0.2.40", "a@ptr.test", "pass", d => d.Record("ptr.test", "v=spf1 ptr -all").Pointer("192.0.2.40", "host.ptr.test").Address("host.ptr.test", "192.0.2.40"));
        Add("ptr-not-confirmed", "192.0.2.41", "a@ptr.test", "fail", d => d.Pointer("192.0.2.41", "liar.ptr.test").Address("liar.ptr.test", "192.0.2.99"));
        Add("ptr-other-domain", "192.0.2.42", "a@ptr-other.test", "pass", d => d.Record("ptr-other.test", "v=spf1 ptr:trusted.test -all").Pointer("192.0.2.42", "m.trusted.test").Address("m.trusted.test", "192.0.2.42"));
        Add("ptr-no-pointer", "192.0.2.43", "a@ptr.test", "fail", _ => { });
        Add("ptr-ipv6", "2001:db8:d::7", "a@ptr.test", "pass", d => d.Pointer("2001:db8:d::7", "v6.ptr.test").Address("v6.ptr.test", "2001:db8:d::7"));
        Add("ptr-second-name", "192.0.2.45", "a@ptr.test", "pass", d => d.Pointer("192.0.2.45", "x.elsewhere.test").Pointer("192.0.2.45", "y.ptr.test").Address("x.elsewhere.test", "192.0.2.45").Address("y.ptr.test", "192.0.2.45"));
        // RFC 7208 5.5: a DNS error on the PTR query makes ptr fail to match, it is no temperror; pyspf says temperror.
        Add("ptr-servfail", "192.0.2.46", "a@ptrsf.test", "fail", d => d.Record("ptrsf.test", "v=spf1 ptr -all").ServerFailure("46.2.0.192.in-addr.arpa"), pyspf: "temperror");

        // exists.
        Add("exists-pass", Client, "a@ex.test", "pass", d => d.Record("ex.test", "v=spf1 exists:%{i}.ok.ex.test -all").Address("192.0.2.10.ok.ex.test", "127.0.0.2"));
        Add("exists-fail", Outside, "a@ex.test", "fail", _ => { });
        Add("exists-ipv6-asks-a", Client6, "a@ex6.test", "pass", d => d.Record("ex6.test", "v=spf1 exists:%{ir}.%{v}.ex6.test -all").Address(Nibbles(Client6, reverse: true) + ".ip6.ex6.test", "127.0.0.2"));

        // include.
        Add("include-pass", Client, "a@inc.test", "pass", d => d.Record("inc.test", "v=spf1 include:inner.inc.test -all").Record("inner.inc.test", "v=spf1 ip4:192.0.2.0/24 -all"));
        Add("include-fail-is-no-match", Outside, "a@incsoft.test", "softfail", d => d.Record("incsoft.test", "v=spf1 include:inner.inc.test ~all"));
        Add("include-neutral-is-no-match", Client, "a@incneutral.test", "fail", d => d.Record("incneutral.test", "v=spf1 include:n.incneutral.test -all").Record("n.incneutral.test", "v=spf1 ?all"));
        Add("include-no-domain", Client, "a@incnx.test", "permerror", d => d.Record("incnx.test", "v=spf1 include:missing.incnx.test -all"));
        Add("include-no-record", Client, "a@incnorec.test", "permerror", d => d.Record("incnorec.test", "v=spf1 include:other.incnorec.test -all").Txt("other.incnorec.test", ["not spf"]));
        Add("include-temperror", Client, "a@inctemp.test", "temperror", d => d.Record("inctemp.test", "v=spf1 include:broken.inctemp.test -all").ServerFailure("broken.inctemp.test"));
        Add("include-permerror", Client, "a@incperm.test", "permerror", d => d.Record("incperm.test", "v=spf1 include:bad.incperm.test -all").Record("bad.incperm.test", "v=spf1 ip4:300.1.1.1 -all"));
        Add("include-nested", Client, "a@incdeep.test", "pass", d => d.Record("incdeep.test", "v=spf1 include:one.incdeep.test -all").Record("one.incdeep.test", "v=spf1 include:inner.inc.test -all"));
        Add("include-macro-target", Client, "a@incmacro.test", "pass", d => d.Record("incmacro.test", "v=spf1 include:_spf.%{d} -all").Record("_spf.incmacro.test", "v=spf1 ip4:192.0.2.10 -all"));
        Add("include-of-redirect", Client, "a@incred.test", "pass", d => d.Record("incred.test", "v=spf1 include:via.incred.test -all").Record("via.incred.test", "v=spf1 redirect=target.red.test"));

        // redirect and exp.
        Add("redirect-pass", Client, "a@red.test", "pass", d => d.Record("red.test", "v=spf1 redirect=target.red.test").Record("target.red.test", "v=spf1 ip4:192.0.2.0/24 -all"));
        Add("redirect-fail", Outside, "a@red.test", "fail", _ => { });
        Add("redirect-no-record", Client, "a@rednx.test", "permerror", d => d.Record("rednx.test", "v=spf1 redirect=missing.rednx.test"));
        Add("redirect-ignored-with-all", Client, "a@redall.test", "neutral", d => d.Record("redall.test", "v=spf1 ?all redirect=target.red.test"));
        Add("redirect-after-no-match", Client, "a@redlate.test", "pass", d => d.Record("redlate.test", "v=spf1 ip4:203.0.113.1 redirect=target.red.test"));
        Add("redirect-new-domain", "192.0.2.50", "a@redd.test", "pass", d => d.Record("redd.test", "v=spf1 redirect=_spf.%{d}").Record("_spf.redd.test", "v=spf1 a -all").Address("_spf.redd.test", "192.0.2.50"));
        Add("redirect-to-include", Client, "a@redinc.test", "pass", d => d.Record("redinc.test", "v=spf1 redirect=inc.test"));
        Add("exp-without-text", Outside, "a@expnx.test", "fail", d => d.Record("expnx.test", "v=spf1 ip4:192.0.2.0/24 -all exp=missing.expnx.test"));
        Add("redirect-twice", Client, "a@red2.test", "permerror", d => d.Record("red2.test", "v=spf1 redirect=target.red.test redirect=target.red.test"));
        Add("exp-twice", Client, "a@exp2.test", "permerror", d => d.Record("exp2.test", "v=spf1 -all exp=e.exp2.test exp=e.exp2.test"));
        Add("exp-with-fail", Outside, "a@exp.test", "fail", d => d.Record("exp.test", "v=spf1 ip4:192.0.2.0/24 -all exp=why.%{d}").Txt("why.exp.test", ["%{i} is not one of %{d}'s"]));
        Add("exp-invalid-domain-spec", Client, "a@expbad.test", "permerror", d => d.Record("expbad.test", "v=spf1 ip4:192.0.2.0/24 -all exp=%{c}.expbad.test"));

        // macros: every letter, transformers, delimiters, uppercase (URL escape), the escapes.
        Add("macro-s", Client, "user@mac-s.test", "pass", d => d.Record("mac-s.test", "v=spf1 exists:%{s1}.%{s2r}.s.mac.test -all").Address("test.test.user@mac-s.s.mac.test", "127.0.0.2"));
        Add("macro-l", Client, "john.doe@mac-l.test", "pass", d => d.Record("mac-l.test", "v=spf1 exists:%{l}.l.mac.test -all").Address("john.doe.l.mac.test", "127.0.0.2"));
        Add("macro-l-delimiters", Client, "a-b+c@mac-lm.test", "pass", d => d.Record("mac-lm.test", "v=spf1 exists:%{l-+}.lm.mac.test -all").Address("a.b.c.lm.mac.test", "127.0.0.2"));
        Add("macro-l-reverse", Client, "a-b-c@mac-lr.test", "pass", d => d.Record("mac-lr.test", "v=spf1 exists:%{lr-}.lr.mac.test -all").Address("c.b.a.lr.mac.test", "127.0.0.2"));
        Add("macro-all-delimiters", Client, "a.b-c+d,e/f_g=h@mac-dl.test", "pass", d => d.Record("mac-dl.test", "v=spf1 exists:%{l.-+,/_=}.dl.mac.test -all").Address("a.b.c.d.e.f.g.h.dl.mac.test", "127.0.0.2"));
        Add("macro-o", Client, "a@mac-o.test", "pass", d => d.Record("mac-o.test", "v=spf1 include:inc.mac-o.test -all").Record("inc.mac-o.test", "v=spf1 exists:%{o}.%{d1}.o.mac.test -all").Address("mac-o.test.test.o.mac.test", "127.0.0.2"));
        Add("macro-d-digits", Client, "a@x.y.mac-d.test", "pass", d => d.Record("x.y.mac-d.test", "v=spf1 exists:%{d2}.%{d1r}.d.mac.test -all").Address("mac-d.test.x.d.mac.test", "127.0.0.2"));
        Add("macro-d-digits-beyond", Client, "a@mac-db.test", "pass", d => d.Record("mac-db.test", "v=spf1 exists:%{d9}.db.mac.test -all").Address("mac-db.test.db.mac.test", "127.0.0.2"));
        Add("macro-i-v4", Client, "a@mac-i.test", "pass", d => d.Record("mac-i.test", "v=spf1 exists:%{ir}.%{v}.%{i2}.i.mac.test -all").Address("10.2.0.192.in-addr.2.10.i.mac.test", "127.0.0.2"));
        Add("macro-i-v6", Client6, "a@mac-i6.test", "pass", d => d.Record("mac-i6.test", "v=spf1 exists:%{i}.%{v}.i6.mac.test -all").Address(Nibbles(Client6, reverse: false) + ".ip6.i6.mac.test", "127.0.0.2"));
        Add("macro-h", Client, "a@mac-h.test", "pass", d => d.Record("mac-h.test", "v=spf1 exists:%{h}.h.mac.test -all").Address("helo.client.test.h.mac.test", "127.0.0.2"), helo: "helo.client.test");
        Add("macro-p", "192.0.2.60", "a@mac-p.test", "pass", d => d.Record("mac-p.test", "v=spf1 exists:%{p}.p.mac.test -all").Pointer("192.0.2.60", "named.p-host.test").Address("named.p-host.test", "192.0.2.60").Address("named.p-host.test.p.mac.test", "127.0.0.2"));
        Add("macro-p-unknown", "192.0.2.61", "a@mac-pu.test", "pass", d => d.Record("mac-pu.test", "v=spf1 exists:%{p}.pu.mac.test -all").Address("unknown.pu.mac.test", "127.0.0.2"));
        Add("macro-uppercase-escapes", Client, "a=b@mac-u.test", "pass", d => d.Record("mac-u.test", "v=spf1 exists:%{L}.u.mac.test -all").Address("a%3Db.u.mac.test", "127.0.0.2"));
        Add("macro-escapes-in-modifier", Client, "a@mac-e.test", "pass", d => d.Record("mac-e.test", "v=spf1 x-note=%%%_%- ip4:192.0.2.10 -all"));
        Add("macro-percent-literal", Client, "a@mac-pct.test", "pass", d => d.Record("mac-pct.test", "v=spf1 exists:%%.pct.mac.test -all").Address("%.pct.mac.test", "127.0.0.2"));
        Add("macro-unknown-letter", Client, "a@mac-x.test", "permerror", d => d.Record("mac-x.test", "v=spf1 exists:%{x}.mac.test -all"));
        Add("macro-c-in-domain-spec", Client, "a@mac-c.test", "permerror", d => d.Record("mac-c.test", "v=spf1 exists:%{c}.mac.test -all"));
        // RFC 7208 7.1: a macro-expand ends with "}", so this record is a syntax error. pyspf's macro check misses an
        // unclosed "%{", takes the text as a name, finds nothing there and goes on to -all.
        Add("macro-unclosed", Client, "a@mac-open.test", "permerror", d => d.Record("mac-open.test", "v=spf1 exists:%{d.mac.test -all"), pyspf: "fail");
        Add("macro-bare-percent", Client, "a@mac-bare.test", "permerror", d => d.Record("mac-bare.test", "v=spf1 a:%d.mac.test -all"));
        Add("macro-no-local-part", Client, "mac-nl.test", "pass", d => d.Record("mac-nl.test", "v=spf1 exists:%{l}.nl.mac.test -all").Address("postmaster.nl.mac.test", "127.0.0.2"));
        Add("macro-truncated-to-253", Client, Long('a') + "." + Long('b') + "@mac-t.test", "pass", d => d.Record("mac-t.test", "v=spf1 exists:%{l}.%{l}.t.mac.test -all").Address(Long('b') + "." + Long('a') + "." + Long('b') + ".t.mac.test", "127.0.0.2"));

        // Void lookups: two are fine, the third is a permerror.
        Add("void-two", Client, "a@void2.test", "pass", d => d.Record("void2.test", "v=spf1 a:nx1.void2.test mx:nx2.void2.test ip4:192.0.2.10 -all"));
        Add("void-three", Client, "a@void3.test", "permerror", d => d.Record("void3.test", "v=spf1 a:nx1.void3.test a:nx2.void3.test exists:nx3.void3.test ip4:192.0.2.10 -all"));
        Add("void-nodata-counts", Client, "a@voidnd.test", "permerror", d => d.Record("voidnd.test", "v=spf1 a mx a:nx.voidnd.test ip4:192.0.2.10 -all"));

        // The 10 DNS-querying terms, counted through include and redirect.
        Add("lookups-ten", Client, "a@lim10.test", "pass", d => Lookups(d, "lim10.test", 10, " ip4:192.0.2.10 -all"));
        Add("lookups-eleven", Client, "a@lim11.test", "permerror", d => Lookups(d, "lim11.test", 11, " ip4:192.0.2.10 -all"));
        Add("lookups-ten-through-include", Client, "a@liminc10.test", "pass", d => Lookups(d, "x.liminc10.test", 5, " ?all").Record("liminc10.test", $"v=spf1 include:x.liminc10.test {Terms("x.liminc10.test", 4)} ip4:192.0.2.10 -all"));
        Add("lookups-eleven-through-include", Client, "a@liminc11.test", "permerror", d => Lookups(d, "x.liminc11.test", 5, " ?all").Record("liminc11.test", $"v=spf1 include:x.liminc11.test {Terms("x.liminc11.test", 5)} ip4:192.0.2.10 -all"));
        Add("lookups-ten-through-redirect", Client, "a@limred10.test", "pass", d => Lookups(Lookups(d, "limred10.test", 5, " redirect=r.limred10.test"), "r.limred10.test", 4, " ip4:192.0.2.10 -all"));
        Add("lookups-eleven-through-redirect", Client, "a@limred11.test", "permerror", d => Lookups(Lookups(d, "limred11.test", 5, " redirect=r.limred11.test"), "r.limred11.test", 5, " ip4:192.0.2.10 -all"));
        // RFC 7208 4.6.4 counts the terms evaluated: nine, then the tenth matches and redirect= is never followed. pyspf
        // counts redirect= when it reads the record, so the tenth a: is its eleventh lookup.
        Add("lookups-redirect-not-followed", Client, "a@limunused.test", "pass", d => Lookups(d, "limunused.test", 9, " a:hit.limunused.test redirect=target.red.test").Address("hit.limunused.test", Client), pyspf: "permerror");
        Add("lookups-include-loop", Client, "a@loop.test", "permerror", d => d.Record("loop.test", "v=spf1 include:loop.test -all"));

        // Record selection.
        Add("two-records", Client, "a@two.test", "permerror", d => d.Record("two.test", "v=spf1 +all").Record("two.test", "v=spf1 -all"));
        Add("spf-among-other-txt", Client, "a@mixed.test", "pass", d => d.Txt("mixed.test", ["google-site-verification=abc"]).Record("mixed.test", "v=spf1 ip4:192.0.2.10 -all"));
        Add("other-version", Client, "a@spf10.test", "none", d => d.Record("spf10.test", "v=spf10 +all"));
        Add("no-domain", Client, "a@nowhere.test", "none", _ => { });
        Add("no-txt", Client, "a@notxt.test", "none", d => d.Address("notxt.test", "192.0.2.1"));
        Add("record-in-strings", Client, "a@split.test", "pass", d => d.Txt("split.test", ["v=spf1 ip4:192.0.2.0/24", " -all"]));

        // Syntax errors make the whole record a permerror, before any mechanism is evaluated.
        Add("unknown-mechanism", Client, "a@syn1.test", "permerror", d => d.Record("syn1.test", "v=spf1 ip4:192.0.2.10 foo -all"));
        Add("error-after-match", Client, "a@syn2.test", "permerror", d => d.Record("syn2.test", "v=spf1 ip4:192.0.2.0/24 moo"));
        Add("ip4-bad-octet", Client, "a@syn3.test", "permerror", d => d.Record("syn3.test", "v=spf1 ip4:192.0.2.300 -all"));
        Add("ip4-bad-length", Client, "a@syn4.test", "permerror", d => d.Record("syn4.test", "v=spf1 ip4:192.0.2.0/33 -all"));
        Add("a-bad-length", Client, "a@syn5.test", "permerror", d => d.Record("syn5.test", "v=spf1 a/33 -all"));
        Add("a-bad-ip6-length", Client, "a@syn6.test", "permerror", d => d.Record("syn6.test", "v=spf1 a//129 -all"));
        Add("all-with-argument", Client, "a@syn7.test", "permerror", d => d.Record("syn7.test", "v=spf1 ip4:192.0.2.10 -all:foo.test"));
        Add("bad-qualifier", Client, "a@syn8.test", "permerror", d => d.Record("syn8.test", "v=spf1 =a ip4:192.0.2.10 -all"));
        Add("ip6-bad-address", Client6, "a@syn9.test", "permerror", d => d.Record("syn9.test", "v=spf1 ip6:2001:db8::zz -all"));
        Add("include-without-domain", Client, "a@syn10.test", "permerror", d => d.Record("syn10.test", "v=spf1 include ip4:192.0.2.10 -all"));
        Add("single-label-target", Client, "a@syn11.test", "permerror", d => d.Record("syn11.test", "v=spf1 a:localhost ip4:192.0.2.10 -all"));
        Add("ip4-cidr-on-ip6", Client6, "a@syn12.test", "permerror", d => d.Record("syn12.test", "v=spf1 ip6:2001:db8::/129 -all"));
        Add("control-character", Client, "a@syn14.test", "permerror", d => d.Record("syn14.test", "v=spf1 ip4:192.0.2.10\n -all"));
        Add("exists-without-domain", Client, "a@syn13.test", "permerror", d => d.Record("syn13.test", "v=spf1 exists ip4:192.0.2.10 -all"));

        // Unknown modifiers are ignored, when they are well formed.
        Add("unknown-modifier", Client, "a@mod.test", "pass", d => d.Record("mod.test", "v=spf1 foo=bar ip4:192.0.2.10 -all moo.cow-far_out=man:dog/cat"));
        Add("unknown-modifier-bad-macro", Client, "a@modbad.test", "permerror", d => d.Record("modbad.test", "v=spf1 foo=%{q} ip4:192.0.2.10 -all"));
        Add("unknown-modifier-empty", Client, "a@modempty.test", "pass", d => d.Record("modempty.test", "v=spf1 foo= ip4:192.0.2.10 -all"));

        // The HELO identity of the null reverse path.
        Add("null-sender-helo-pass", Client, string.Empty, "pass", d => d.Record("helo-id.test", "v=spf1 ip4:192.0.2.10 -all"), helo: "helo-id.test");
        Add("null-sender-helo-fail", Outside, string.Empty, "fail", _ => { }, helo: "helo-id.test");
        Add("null-sender-helo-postmaster", Client, string.Empty, "pass", d => d.Record("helo-pm.test", "v=spf1 exists:%{l}.%{o}.pm.test -all").Address("postmaster.helo-pm.test.pm.test", "127.0.0.2"), helo: "helo-pm.test");
        Add("null-sender-helo-literal", Client, string.Empty, "none", _ => { }, helo: "[192.0.2.1]");
        Add("null-sender-helo-none", Client, string.Empty, "none", _ => { }, helo: "unpublished.test");

        // DNS failures.
        Add("servfail-top", Client, "a@sf.test", "temperror", d => d.ServerFailure("sf.test"));
        Add("servfail-a", Client, "a@sfa.test", "temperror", d => d.Record("sfa.test", "v=spf1 a:broken.sfa.test ip4:192.0.2.10 -all").ServerFailure("broken.sfa.test"));
        Add("servfail-mx-host", Client, "a@sfmx.test", "temperror", d => d.Record("sfmx.test", "v=spf1 mx ip4:192.0.2.10 -all").Mx("sfmx.test", 10, "broken.sfmx.test").ServerFailure("broken.sfmx.test"));
        Add("servfail-exists", Client, "a@sfex.test", "temperror", d => d.Record("sfex.test", "v=spf1 exists:broken.sfex.test ip4:192.0.2.10 -all").ServerFailure("broken.sfex.test"));
        Add("servfail-redirect", Client, "a@sfred.test", "temperror", d => d.Record("sfred.test", "v=spf1 redirect=broken.sfred.test").ServerFailure("broken.sfred.test"));
        Add("servfail-not-reached", Client, "a@sflate.test", "pass", d => d.Record("sflate.test", "v=spf1 ip4:192.0.2.10 a:broken.sflate.test -all").ServerFailure("broken.sflate.test"));
        return cases;
    }

    /// <summary>Eleven or ten exchanges, the last of them at 192.0.2.79.</summary>
    private static LoopbackDnsServer ManyMx(LoopbackDnsServer dns, string domain, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            dns.Mx(domain, (ushort)i, $"m{i}.{domain}").Address($"m{i}.{domain}", i == count ? "192.0.2.79" : $"198.51.100.{i}");
        }

        return dns;
    }

    /// <summary>A record at <paramref name="domain"/> of <paramref name="count"/> <c>a:</c> terms whose names exist and miss the client.</summary>
    private static LoopbackDnsServer Lookups(LoopbackDnsServer dns, string domain, int count, string tail)
    {
        for (var i = 1; i <= count; i++)
        {
            dns.Address($"l{i}.{domain}", "198.51.100.200");
        }

        return dns.Record(domain, $"v=spf1 {Terms(domain, count)}{tail}");
    }

    /// <summary>The first <paramref name="count"/> of those <c>a:</c> terms, once more: the limit counts terms, not names.</summary>
    private static string Terms(string domain, int count) => string.Join(' ', Enumerable.Range(1, count).Select(i => $"a:l{i}.{domain}"));

    private static string Nibbles(string address, bool reverse)
    {
        var nibbles = System.Net.IPAddress.Parse(address).GetAddressBytes().SelectMany(b => new[] { (b >> 4).ToString("x", System.Globalization.CultureInfo.InvariantCulture), (b & 0xF).ToString("x", System.Globalization.CultureInfo.InvariantCulture) });
        return string.Join('.', reverse ? nibbles.Reverse() : nibbles);
    }

    /// <summary>A 60-character label: two of them and "%{l}" twice are over 253 characters, so the leftmost label goes.</summary>
    private static string Long(char c) => new(c, 60);
}
