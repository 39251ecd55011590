namespace LogitStd.Shell.Data;

/// <summary>
/// A small deterministic random stream (SplitMix64) for one sample. The loader derives one per
/// (seed, epoch, dataset index, view), so an augmentation depends on nothing else — not on which
/// worker thread ran it or in what order — and the same seed gives the same batches bit for bit.
/// </summary>
public struct SampleRandom
{
    ulong state;

    /// <summary>Starts a stream from a raw 64-bit state.</summary>
    public SampleRandom(ulong state) => this.state = state;

    /// <summary>The stream for one sample view. <paramref name="stream"/> separates views (weak 0, strong 1) and the shuffle (-1).</summary>
    public static SampleRandom For(long seed, int epoch, int index, int stream)
    {
        // Chained finalisers rather than a plain XOR, so nearby (epoch, index) pairs give unrelated streams.
        ulong h = Mix((ulong)seed ^ 0x6A09E667F3BCC909UL);
        h = Mix(h ^ (uint)epoch);
        h = Mix(h ^ (uint)index);
        h = Mix(h ^ (uint)stream);
        return new SampleRandom(h);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>A uniform integer in <c>[0, maxExclusive)</c>; <paramref name="maxExclusive"/> must be positive.</summary>
    public int Next(int maxExclusive) => (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>A uniform integer in <c>[minInclusive, maxInclusive]</c>.</summary>
    public int NextInclusive(int minInclusive, int maxInclusive) => minInclusive + Next(maxInclusive - minInclusive + 1);

    /// <summary>A uniform double in <c>[0, 1)</c> with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
