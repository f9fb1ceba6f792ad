using System.Buffers;

namespace DiMint;

/// <summary>Writes a frame's payload (<see cref="FramedSocket.Send{T}"/>).</summary>
/// <typeparam name="T">What the frame carries.</typeparam>
public interface IFrameWriter<in T>
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="output"/>.</summary>
    void Write(T value, IBufferWriter<byte> output);
}
