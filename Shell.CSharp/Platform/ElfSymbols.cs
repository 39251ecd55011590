using System.IO.MemoryMappedFiles;
using System.Text;

namespace LogitStd.Shell.Platform;

/// <summary>
/// Looks symbols up in the full symbol table (<c>.symtab</c>) of an ELF64 little-endian shared
/// library — the table that also lists the library's hidden (not exported) functions and objects,
/// which <c>dlsym</c> cannot see. The file is memory-mapped and only the pages touched are read: the
/// entries are filtered by type before any name is compared (libtorch_cpu.so: 530,000 symbols,
/// 13 MB of table, 80 MB of names).
/// </summary>
public static class ElfSymbols
{
    const uint ShtSymtab = 2;
    const int SymbolSize = 24;

    /// <summary>The kind of symbol sought (ELF's STT_FUNC and STT_OBJECT).</summary>
    public enum Kind : byte { Object = 1, Function = 2 }

    /// <summary>
    /// The value (the address relative to the library's load base) of each of <paramref name="names"/>
    /// of kind <paramref name="kind"/>; a name the table lacks is absent from the result. An empty
    /// result when the file is no ELF64 little-endian file or has no <c>.symtab</c> (a stripped library).
    /// </summary>
    public static IReadOnlyDictionary<string, ulong> Find(string path, Kind kind, params string[] names)
    {
        var found = new Dictionary<string, ulong>(StringComparer.Ordinal);
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        long length = new FileInfo(path).Length;
        if (length < 64 || view.ReadUInt32(0) != 0x464C457F || view.ReadByte(4) != 2 || view.ReadByte(5) != 1) return found;
        long sectionTable = (long)view.ReadUInt64(0x28);
        int entrySize = view.ReadUInt16(0x3A), count = view.ReadUInt16(0x3C);
        if (entrySize < 64 || sectionTable <= 0 || sectionTable + (long)entrySize * count > length) return found;
        var wanted = names.ToDictionary(n => n, n => Encoding.ASCII.GetBytes(n), StringComparer.Ordinal);
        for (int s = 0; s < count; s++)
        {
            long header = sectionTable + (long)s * entrySize;
            if (view.ReadUInt32(header + 4) != ShtSymtab) continue;
            long offset = (long)view.ReadUInt64(header + 0x18), size = (long)view.ReadUInt64(header + 0x20);
            long strings = sectionTable + (long)view.ReadUInt32(header + 0x28) * entrySize;
            if (strings + entrySize > length) return found;
            long namesAt = (long)view.ReadUInt64(strings + 0x18), namesSize = (long)view.ReadUInt64(strings + 0x20);
            if (offset + size > length || namesAt + namesSize > length) return found;
            // The table in one read (13 MB for libtorch_cpu.so); names are compared 8 bytes first, in place.
            var table = new byte[size - size % SymbolSize];
            view.ReadArray(offset, table, 0, table.Length);
            var prefixes = wanted.ToDictionary(w => w.Key, w => w.Value.Length >= 8 ? BitConverter.ToInt64(w.Value, 0) : 0L);
            for (int at = 0; at + SymbolSize <= table.Length && found.Count < wanted.Count; at += SymbolSize)
            {
                if ((table[at + 4] & 0xF) != (byte)kind) continue;
                long name = namesAt + BitConverter.ToUInt32(table, at);
                if (name + 8 > namesAt + namesSize) continue;
                long head = view.ReadInt64(name);
                foreach (var (text, bytes) in wanted)
                    if (!found.ContainsKey(text) && (bytes.Length < 8 || head == prefixes[text]) && NameEquals(view, name, namesAt + namesSize, bytes))
                        found[text] = BitConverter.ToUInt64(table, at + 8);
            }
        }
        return found;
    }

    static bool NameEquals(MemoryMappedViewAccessor view, long at, long end, byte[] name)
    {
        if (at + name.Length >= end) return false;
        for (int i = 0; i < name.Length; i++)
            if (view.ReadByte(at + i) != name[i]) return false;
        return view.ReadByte(at + name.Length) == 0;
    }
}
