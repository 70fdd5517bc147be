namespace MtaServerless.Core.Mail;

/// <summary>
/// What the pipeline needs to know of a message's header section, learnt as the spool writes it so that no stage
/// reads the blob for it: how many <c>Received:</c> fields it has (the loop check, RFC 5321 6.3), and whether it
/// has a <c>Message-ID:</c> and a <c>Date:</c> (RFC 6409 8.2 and 8.3: a submission lacking them gets them).
/// </summary>
public struct HeaderSectionSummary
{
    private HeaderSectionReader _reader;

    public int ReceivedCount { get; private set; }

    public bool HasMessageId { get; private set; }

    public bool HasDate { get; private set; }

    public void Inspect(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && !_reader.IsComplete)
        {
            if (_reader.Read(ref bytes, out _) != HeaderSectionEvent.FieldStart)
            {
                continue;
            }

            switch (_reader.Field)
            {
                case HeaderField.Received:
                    ReceivedCount++;
                    break;
                case HeaderField.MessageId:
                    HasMessageId = true;
                    break;
                case HeaderField.Date:
                    HasDate = true;
                    break;
            }
        }
    }
}
