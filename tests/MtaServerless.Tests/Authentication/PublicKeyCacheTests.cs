using System.Security.Cryptography;
using MtaServerless.Pipeline.Authentication.Signatures;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;

namespace MtaServerless.Tests.Authentication;

public sealed class PublicKeyCacheTests
{
    [Fact]
    public void GetOrParse_TheSameRecordAgain_IsNotParsedAgain_AnotherRecordIs()
    {
        var cache = new PublicKeyCache();
        var parses = new List<string>();
        AsymmetricKeyParameter Parse(string record)
        {
            parses.Add(record);
            return PublicKeyFactory.CreateKey(Convert.FromBase64String(record));
        }

        var first = Record();
        var second = Record();

        var key = cache.GetOrParse(first, Parse);
        var again = cache.GetOrParse(first, Parse);
        var other = cache.GetOrParse(second, Parse);

        Assert.Same(key, again);
        Assert.NotEqual(key, other);
        Assert.Equal([first, second], parses);
    }

    [Fact]
    public void GetOrParse_ARecordThatDoesNotParse_IsAskedAgainEveryTime()
    {
        var cache = new PublicKeyCache();
        var parses = 0;
        AsymmetricKeyParameter Fail(string record)
        {
            parses++;
            throw new FormatException("no key");
        }

        Assert.Throws<FormatException>(() => cache.GetOrParse("bad", Fail));
        Assert.Throws<FormatException>(() => cache.GetOrParse("bad", Fail));

        Assert.Equal(2, parses);
    }

    private static string Record()
    {
        using var rsa = RSA.Create(1024);
        return Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
    }
}
