namespace Alerting.Cli.Files;

/// <summary>One problem in an input file: where it is (1-based line and column, 0 when unknown), which field, and what is wrong.</summary>
internal sealed record FileError(string File, int Line, int Column, string Field, string Message)
{
    public override string ToString()
    {
        string position = (Line, Column) switch
        {
            ( > 0, > 0) => $"{File}:{Line}:{Column}",
            ( > 0, _) => $"{File}:{Line}",
            _ => File,
        };
        return Field.Length > 0 ? $"{position}: {Field}: {Message}" : $"{position}: {Message}";
    }
}
