using System.Runtime.InteropServices;

namespace LogitStd.Shell.SafeIO;

/// <summary>What a path names, as the kernel sees it (not what .NET reports: .NET calls a FIFO and a
/// character device "Normal" files with length 0, and opening a FIFO blocks until a writer comes).</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    /// <summary>A FIFO, a character or block device, a socket: never read as data.</summary>
    Special,
}

/// <summary>
/// The kind and size of a path from <c>statx(2)</c>, whose buffer layout is the same on every Linux
/// architecture (unlike <c>struct stat</c>); glibc has exported it since 2.28.
/// </summary>
public static class FileKinds
{
    const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    const uint StatxType = 0x1, StatxSize = 0x200;
    const uint StatxIno = 0x100;
    // struct statx: stx_mode (u16) at byte 28, stx_ino (u64) at 32, stx_size (u64) at 40, stx_dev_major/minor (u32) at 136/140.
    const int ModeOffset = 28, InodeOffset = 32, SizeOffset = 40, DevMajorOffset = 136, DevMinorOffset = 140, BufferBytes = 256;
    const int IfMt = 0xF000, IfReg = 0x8000, IfDir = 0x4000, IfLnk = 0xA000;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    /// <summary>The kind of <paramref name="path"/> itself (a symbolic link is reported as one, not followed)
    /// or, with <paramref name="followLinks"/>, of what it finally names; and its size in bytes.</summary>
    public static (FileKind Kind, long Size) Of(string path, bool followLinks = false)
    {
        var (kind, size, _) = Stat(path, followLinks);
        return (kind, size);
    }

    /// <summary>The device and inode of what <paramref name="path"/> finally names (links followed), or null
    /// when it names nothing: the same folder reached twice, through a link, has the same identity.</summary>
    public static (ulong Device, ulong Inode)? IdentityOf(string path)
    {
        var (kind, _, id) = Stat(path, followLinks: true);
        return kind == FileKind.Missing ? null : id;
    }

    static (FileKind Kind, long Size, (ulong, ulong) Id) Stat(string path, bool followLinks)
    {
        var buffer = new byte[BufferBytes];
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType | StatxSize | StatxIno, buffer) != 0)
            return (FileKind.Missing, 0, default); // absent, a dangling link, or a loop of links: nothing to read
        int mode = BitConverter.ToUInt16(buffer, ModeOffset) & IfMt;
        long size = BitConverter.ToInt64(buffer, SizeOffset);
        ulong device = ((ulong)BitConverter.ToUInt32(buffer, DevMajorOffset) << 32) | BitConverter.ToUInt32(buffer, DevMinorOffset);
        var kind = mode switch { IfReg => FileKind.Regular, IfDir => FileKind.Directory, IfLnk => FileKind.SymbolicLink, _ => FileKind.Special };
        return (kind, size, (device, BitConverter.ToUInt64(buffer, InodeOffset)));
    }
}
