using MtaServerless.Core.Deliveries;

namespace MtaServerless.Tests.Core;

public sealed class RecipientKeyTests
{
    [Theory]
    [InlineData("bob@example.com", "bob@example.com")]
    [InlineData("a/b@example.com", "a%2Fb@example.com")]
    [InlineData("a#b?c@example.com", "a%23b%3Fc@example.com")]
    [InlineData("\"a\\\\b\"@example.com", "\"a%5C%5Cb\"@example.com")]
    [InlineData("100%@example.com", "100%25@example.com")]
    [InlineData("tab\there@example.com", "tab%09here@example.com")]
    public void Encode_ForbiddenTableKeyCharacters_AreEscapedReversibly(string recipient, string key)
    {
        Assert.Equal(key, RecipientKey.Encode(recipient));
        Assert.Equal(recipient, RecipientKey.Decode(key));
    }
}
