using MtaServerless.Core.Deliveries;

namespace MtaServerless.Tests.Core;

public sealed class DeliveryEntityTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("250 2.0.0 Ok")]
    public void LastReply_WithinTheBound_IsKeptAsItIs(string? reply)
    {
        Assert.Equal(reply, new DeliveryEntity { LastReply = reply }.LastReply);
    }

    [Fact]
    public void LastReply_OneCharacterOverTheBound_IsCutWithAnEllipsis()
    {
        var reply = "550 " + new string('x', DeliveryEntity.MaxReplyLength - 3);

        var stored = new DeliveryEntity { LastReply = reply }.LastReply!;

        Assert.Equal(DeliveryEntity.MaxReplyLength, stored.Length);
        Assert.Equal(reply[..(DeliveryEntity.MaxReplyLength - 3)] + "...", stored);
    }

    [Fact]
    public void LastReply_CutFallsInsideASurrogatePair_KeepsTheTextValid()
    {
        // The pair's high surrogate is the last character that would be kept.
        var reply = new string('x', DeliveryEntity.MaxReplyLength - 4) + "\U0001F600" + new string('y', 10);

        var stored = new DeliveryEntity { LastReply = reply }.LastReply!;

        Assert.Equal(new string('x', DeliveryEntity.MaxReplyLength - 4) + "...", stored);
        Assert.True(System.Text.Unicode.Utf8.FromUtf16(stored, new byte[stored.Length * 3], out _, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done);
    }
}
