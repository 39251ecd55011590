namespace LogitStd.Shell.Persistence;

/// <summary>
/// CRC-32 as zip stores it (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and final xor
/// 0xFFFFFFFF). .NET's <c>ZipArchive</c> writes it but does not check it on read, so a flipped bit in
/// a member would load silently; <see cref="ZipMember"/> recomputes it for every member read.
/// Table-driven, slicing by four bytes (the System.IO.Hashing package is not among the project's
/// packages).
/// </summary>
public static class Crc32
{
    private static readonly uint[][] Tables = BuildTables();

    /// <summary>Folds <paramref name="data"/> into a running CRC (start with 0; the result is the CRC of everything folded so far).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        uint[] t0 = Tables[0], t1 = Tables[1], t2 = Tables[2], t3 = Tables[3];
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            c ^= (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            c = t3[c & 0xFF] ^ t2[(c >> 8) & 0xFF] ^ t1[(c >> 16) & 0xFF] ^ t0[c >> 24];
        }
        for (; i < data.Length; i++) c = t0[(c ^ data[i]) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    private static uint[][] BuildTables()
    {
        var tables = new uint[4][];
        for (int k = 0; k < 4; k++) tables[k] = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            tables[0][n] = c;
        }
        for (int n = 0; n < 256; n++)
            for (int k = 1; k < 4; k++) tables[k][n] = tables[0][tables[k - 1][n] & 0xFF] ^ (tables[k - 1][n] >> 8);
        return tables;
    }
}
