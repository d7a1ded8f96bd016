namespace Automodulator.Data.Faces;

/// <summary>
/// Reads dlib's serialization of <c>shape_predictor</c> (dlib/image_processing/shape_predictor.h, serialize.h):
/// <c>version (=1), initial_shape, forests, anchor_idx, deltas</c>, where integers are a control byte (low nibble:
/// byte count, 0x80: negative) plus little-endian bytes, floats are an integer mantissa and a 16-bit exponent
/// (value = mantissa·2^exponent), vectors are a length and their items, and matrices store −rows, −columns and
/// their values row by row. Anything else fails with a <see cref="FormatException"/> that says what and where.
/// </summary>
public static class DlibShapePredictorReader
{
    private const short IsInf = 32000, IsNegInf = 32001, IsNaN = 32002;

    public static ShapePredictorModel Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Landmark model {path} does not exist. {DlibModelLocator.InstallHint}", path, e);
        }
        return Read(bytes, Path.GetFileName(path));
    }

    public static ShapePredictorModel Read(ReadOnlySpan<byte> data, string source = "model")
    {
        var r = new Cursor(data, source);
        long version = r.Int("the format version");
        if (version != 1)
            throw r.Error($"is not a dlib shape predictor (format version {version}, expected 1)");

        var initial = r.FloatColumn("the initial shape");
        if (initial.Length == 0 || initial.Length % 2 != 0)
            throw r.Error($"has an initial shape of {initial.Length} values (expected 2 per landmark)");
        int shapeLength = initial.Length;

        int levels = r.Count("the number of cascade levels", 1_000);
        int trees = -1, splits = -1;
        int[]? idx1 = null, idx2 = null;
        float[]? thresh = null, leaves = null;
        for (int level = 0; level < levels; level++)
        {
            int n = r.Count($"the number of trees in level {level}", 100_000);
            if (trees < 0)
            {
                trees = n;
            }
            else if (n != trees) throw r.Error($"has {n} trees in level {level} but {trees} in level 0 (unsupported)");
            for (int t = 0; t < trees; t++)
            {
                int s = r.Count($"the splits of tree {t} in level {level}", 1 << 16);
                if (splits < 0)
                {
                    splits = s;
                    if (((s + 1) & s) != 0) throw r.Error($"has a tree with {s} splits (a complete tree has 2^depth − 1)");
                    long total = (long)levels * trees * splits;
                    idx1 = new int[total];
                    idx2 = new int[total];
                    thresh = new float[total];
                    leaves = new float[checked((long)levels * trees * (splits + 1) * shapeLength)];
                }
                else if (s != splits) throw r.Error($"has trees of different depths ({s} and {splits} splits; unsupported)");
                int b = (level * trees + t) * splits;
                for (int i = 0; i < splits; i++)
                {
                    idx1![b + i] = (int)r.UInt("a split's first pixel index", int.MaxValue);
                    idx2![b + i] = (int)r.UInt("a split's second pixel index", int.MaxValue);
                    thresh![b + i] = r.Float("a split threshold");
                }
                int leafCount = r.Count($"the leaves of tree {t} in level {level}", 1 << 17);
                if (leafCount != splits + 1) throw r.Error($"has a tree with {splits} splits but {leafCount} leaves");
                for (int l = 0; l < leafCount; l++)
                {
                    int offset = ((level * trees + t) * leafCount + l) * shapeLength;
                    r.FloatColumnInto(leaves.AsSpan(offset, shapeLength), "a leaf value");
                }
            }
        }

        int anchorLevels = r.Count("the number of anchor lists", 1_000);
        if (anchorLevels != levels) throw r.Error($"has {anchorLevels} anchor lists for {levels} cascade levels");
        int features = -1;
        int[]? anchors = null;
        for (int level = 0; level < levels; level++)
        {
            int n = r.Count($"the feature pixels of level {level}", 1_000_000);
            if (features < 0) { features = n; anchors = new int[levels * n]; }
            else if (n != features) throw r.Error($"has {n} feature pixels in level {level} but {features} in level 0 (unsupported)");
            for (int i = 0; i < n; i++)
            {
                long a = r.UInt("an anchor landmark index", int.MaxValue);
                if (a >= shapeLength / 2) throw r.Error($"anchors a feature pixel to landmark {a} of {shapeLength / 2}");
                anchors![level * n + i] = (int)a;
            }
        }

        int deltaLevels = r.Count("the number of delta lists", 1_000);
        if (deltaLevels != levels) throw r.Error($"has {deltaLevels} delta lists for {levels} cascade levels");
        var dx = new float[levels * Math.Max(features, 0)];
        var dy = new float[dx.Length];
        for (int level = 0; level < levels; level++)
        {
            int n = r.Count($"the deltas of level {level}", 1_000_000);
            if (n != features) throw r.Error($"has {n} deltas for {features} feature pixels in level {level}");
            for (int i = 0; i < n; i++)
            {
                dx[level * n + i] = r.Float("a feature pixel delta");
                dy[level * n + i] = r.Float("a feature pixel delta");
            }
        }
        if (levels == 0 || trees <= 0 || features <= 0) throw r.Error("holds an empty cascade");
        for (int i = 0; i < idx1!.Length; i++)
            if (idx1[i] >= features || idx2![i] >= features)
                throw r.Error($"has a split reading feature pixel {Math.Max(idx1[i], idx2![i])} of {features}");
        if (!r.AtEnd) throw r.Error($"has {r.Remaining} unexpected bytes after the model");

        return new ShapePredictorModel(initial, levels, trees, splits, idx1, idx2!, thresh!, leaves!, features, anchors!, dx, dy);
    }

    /// <summary>A position in the byte stream plus dlib's primitive decoders.</summary>
    private ref struct Cursor
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly string _source;
        private int _pos;

        public Cursor(ReadOnlySpan<byte> data, string source)
        {
            _data = data;
            _source = source;
            _pos = 0;
        }

        public readonly bool AtEnd => _pos == _data.Length;
        public readonly int Remaining => _data.Length - _pos;

        public readonly FormatException Error(string what) =>
            new($"{_source} {what} (at byte {_pos} of {_data.Length}). Expected dlib's shape_predictor_68_face_landmarks.dat; {DlibModelLocator.InstallHint}");

        private readonly FormatException Truncated(string what) =>
            new($"{_source} is truncated: it ends at byte {_data.Length} while reading {what}. Re-download or reinstall the model; {DlibModelLocator.InstallHint}");

        /// <summary>dlib's signed integer: control byte (size | 0x80 if negative), then the magnitude, little-endian.</summary>
        public long Int(string what)
        {
            if (_pos >= _data.Length) throw Truncated(what);
            byte control = _data[_pos];
            int size = control & 0x0F;
            if ((control & 0x70) != 0 || size > 8)
                throw Error($"is not a dlib serialization: byte 0x{control:X2} is not an integer header while reading {what}");
            if (_pos + 1 + size > _data.Length) throw Truncated(what);
            ulong v = 0;
            for (int i = 0; i < size; i++) v |= (ulong)_data[_pos + 1 + i] << (8 * i);
            _pos += 1 + size;
            long value = (long)v;
            return (control & 0x80) != 0 ? -value : value;
        }

        public long UInt(string what, long max)
        {
            long v = Int(what);
            if (v < 0 || v > max) throw Error($"has an out-of-range value {v} for {what}");
            return v;
        }

        public int Count(string what, int max) => (int)UInt(what, max);

        /// <summary>dlib's float: mantissa (int64) and exponent (int16); three exponents mark ±infinity and NaN.</summary>
        public float Float(string what)
        {
            if (_pos < _data.Length && (_data[_pos] & 0x70) != 0)
                throw Error($"stores {what} in dlib's old text float format (unsupported)");
            long mantissa = Int(what);
            long exponent = Int(what);
            if (exponent is < short.MinValue or > short.MaxValue) throw Error($"has a float exponent {exponent} out of range");
            return (short)exponent switch
            {
                IsInf => float.PositiveInfinity,
                IsNegInf => float.NegativeInfinity,
                IsNaN => float.NaN,
                _ => float.ScaleB(mantissa, (int)exponent),
            };
        }

        /// <summary>A matrix&lt;float,0,1&gt;: −rows, −columns (or the old positive form), then the values.</summary>
        public float[] FloatColumn(string what)
        {
            var (rows, cols) = MatrixSize(what);
            var values = new float[rows];
            for (int i = 0; i < rows * cols; i++) values[i] = Float(what);
            return values;
        }

        public void FloatColumnInto(Span<float> target, string what)
        {
            var (rows, cols) = MatrixSize(what);
            if (rows * cols != target.Length) throw Error($"has {what} of {rows}×{cols} values where {target.Length} were expected");
            for (int i = 0; i < target.Length; i++) target[i] = Float(what);
        }

        private (int Rows, int Cols) MatrixSize(string what)
        {
            long rows = Math.Abs(Int(what)), cols = Math.Abs(Int(what));
            if (cols != 1 || rows > 1_000_000) throw Error($"has {what} of {rows}×{cols} (expected a column vector)");
            return ((int)rows, (int)cols);
        }
    }
}
