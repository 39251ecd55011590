namespace LogitStd.Shell.Embedding;

/// <summary>
/// The Barnes-Hut space partition of a 2-D embedding (van der Maaten 2014, §4.2): each cell keeps its
/// point count and centre of mass, so that a far cell's points repel a point as one. Rebuilt every
/// iteration; arrays rather than node objects, so a 10,000-point tree is a few allocations.
/// </summary>
public sealed class QuadTree
{
    /// <summary>Below this depth cells are 2⁻⁶⁰ of the root: points still together there are treated as
    /// one location (exact duplicates always are).</summary>
    const int MaxDepth = 60;

    int nodes;
    int[] count, firstChild, depth;
    double[] sumX, sumY, comX, comY, minX, minY, midX, midY;
    readonly double rootWidthX, rootWidthY;

    /// <summary>Builds the tree of the points <c>(y[2i], y[2i + 1])</c>.</summary>
    public QuadTree(ReadOnlySpan<double> y)
    {
        int n = y.Length / 2;
        int capacity = Math.Max(4 * n + 1, 16);
        count = new int[capacity]; firstChild = new int[capacity]; depth = new int[capacity];
        sumX = new double[capacity]; sumY = new double[capacity]; comX = new double[capacity]; comY = new double[capacity];
        minX = new double[capacity]; minY = new double[capacity]; midX = new double[capacity]; midY = new double[capacity];
        double x0 = double.PositiveInfinity, y0 = double.PositiveInfinity, x1 = double.NegativeInfinity, y1 = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            x0 = Math.Min(x0, y[2 * i]); x1 = Math.Max(x1, y[2 * i]);
            y0 = Math.Min(y0, y[2 * i + 1]); y1 = Math.Max(y1, y[2 * i + 1]);
        }
        // A margin, so that the largest coordinate falls inside the root rather than on its edge.
        rootWidthX = Math.Max(x1 - x0, 1e-12) * 1.001;
        rootWidthY = Math.Max(y1 - y0, 1e-12) * 1.001;
        nodes = 1;
        InitNode(0, (x0 + x1) / 2 - rootWidthX / 2, (y0 + y1) / 2 - rootWidthY / 2, 0);
        for (int i = 0; i < n; i++) Insert(y[2 * i], y[2 * i + 1]);
        for (int c = 0; c < nodes; c++)
            if (count[c] > 0)
            {
                comX[c] = sumX[c] / count[c];
                comY[c] = sumY[c] / count[c];
            }
    }

    /// <summary>The number of points in the tree.</summary>
    public int Count => count[0];

    double WidthX(int node) => rootWidthX / (1L << depth[node]);
    double WidthY(int node) => rootWidthY / (1L << depth[node]);

    void InitNode(int node, double left, double bottom, int level)
    {
        depth[node] = level;
        minX[node] = left;
        minY[node] = bottom;
        midX[node] = left + rootWidthX / (1L << level) / 2;
        midY[node] = bottom + rootWidthY / (1L << level) / 2;
        firstChild[node] = -1;
    }

    int ChildOf(int node, double x, double y) =>
        firstChild[node] + (x >= midX[node] ? 1 : 0) + (y >= midY[node] ? 2 : 0);

    void Insert(double x, double y)
    {
        int node = 0;
        while (true)
        {
            count[node]++;
            sumX[node] += x;
            sumY[node] += y;
            if (firstChild[node] >= 0)
            {
                node = ChildOf(node, x, y);
                continue;
            }
            int before = count[node] - 1;
            if (before == 0) return;
            // An occupied leaf: the occupants sit at one location (sum / count).
            double ox = (sumX[node] - x) / before, oy = (sumY[node] - y) / before;
            if ((ox == x && oy == y) || depth[node] >= MaxDepth) return;
            Split(node);
            int moved = ChildOf(node, ox, oy);
            count[moved] = before;
            sumX[moved] = sumX[node] - x;
            sumY[moved] = sumY[node] - y;
            node = ChildOf(node, x, y);
        }
    }

    void Split(int node)
    {
        if (nodes + 4 > count.Length) Grow();
        firstChild[node] = nodes;
        double hx = WidthX(node) / 2, hy = WidthY(node) / 2;
        for (int q = 0; q < 4; q++)
            InitNode(nodes + q, minX[node] + (q & 1) * hx, minY[node] + (q >> 1) * hy, depth[node] + 1);
        nodes += 4;
    }

    void Grow()
    {
        int size = count.Length * 2;
        Array.Resize(ref count, size); Array.Resize(ref firstChild, size); Array.Resize(ref depth, size);
        Array.Resize(ref sumX, size); Array.Resize(ref sumY, size); Array.Resize(ref comX, size); Array.Resize(ref comY, size);
        Array.Resize(ref minX, size); Array.Resize(ref minY, size); Array.Resize(ref midX, size); Array.Resize(ref midY, size);
    }

    /// <summary>
    /// The repulsion on the point <c>(x, y)</c>, a member of the tree: <c>Σ_j q̃² (y_i − y_j)</c> and
    /// <c>Z_i = Σ_{j≠i} q̃</c> with <c>q̃ = 1 / (1 + ‖y_i − y_j‖²)</c>, a cell standing for its points when
    /// its larger side is below θ times its centre of mass's distance (scikit-learn's criterion; θ = 0
    /// visits every leaf, which is exact). The point itself, at distance 0 in its own leaf, adds 1 to Z
    /// and nothing to the force; it is taken out at the end.
    /// </summary>
    public (double Fx, double Fy, double Z) Repulsion(double x, double y, double theta, Span<int> stack)
    {
        double fx = 0, fy = 0, z = 0, theta2 = theta * theta;
        int top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            int node = stack[--top];
            int c = count[node];
            if (c == 0) continue;
            double dx = x - comX[node], dy = y - comY[node], d2 = dx * dx + dy * dy;
            double w = Math.Max(WidthX(node), WidthY(node));
            if (firstChild[node] < 0 || w * w < theta2 * d2)
            {
                double q = 1.0 / (1.0 + d2), m = c * q * q;
                z += c * q;
                fx += m * dx;
                fy += m * dy;
                continue;
            }
            int first = firstChild[node];
            for (int k = 0; k < 4; k++) stack[top++] = first + k;
        }
        return (fx, fy, z - 1.0);
    }

    /// <summary>The largest stack <see cref="Repulsion"/> can need.</summary>
    public int StackSize => 3 * (MaxDepth + 1) + 4;
}
