using System.Buffers.Binary;
using System.IO.Compression;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>Just enough PNG decoding (8-bit RGB/RGBA, not interlaced: what Chromium writes) to tell a screenshot is not blank.</summary>
internal static class PngImage
{
    /// <summary>How many distinct RGB colours the image has, sampling every <paramref name="step"/>-th pixel of every row.</summary>
    public static int DistinctColours(byte[] png, int step = 1)
    {
        var (width, height, channels, pixels) = Decode(png);
        var colours = new HashSet<int>();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x += step)
            {
                var i = ((y * width) + x) * channels;
                colours.Add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
            }
        }

        return colours.Count;
    }

    private static (int Width, int Height, int Channels, byte[] Pixels) Decode(byte[] png)
    {
        if (png.Length < 8 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G')
        {
            throw new InvalidDataException("Not a PNG.");
        }

        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var offset = 8; offset + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                var (depth, colourType, interlace) = (data[8], data[9], data[12]);
                channels = colourType switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"PNG colour type {colourType} not handled.") };
                if (depth != 8 || interlace != 0)
                {
                    throw new InvalidDataException("Only 8-bit, non-interlaced PNGs are handled.");
                }
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            offset += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        var stride = width * channels;
        var pixels = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var source = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var row = pixels.AsSpan(y * stride, stride);
            var up = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (var x = 0; x < stride; x++)
            {
                int a = x >= channels ? row[x - channels] : 0, b = up[x], c = x >= channels ? up[x - channels] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter} is not valid."),
                };
                row[x] = (byte)(source[x] + predictor);
            }
        }

        return (width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
