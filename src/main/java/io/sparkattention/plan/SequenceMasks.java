package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;
import java.io.Serializable;

/**
 * What makes one sequence's mask differ from the plan's: the starts of its segments (packed
 * documents, {@link Mask#withSegments}), the positions of its global tokens (a global-token column,
 * {@link Mask#withGlobalPositions}), or both, gathered during validation. A sequence without an
 * entry keeps the plan's mask. The driver holds a reference per sequence plus these positions.
 */
public final class SequenceMasks implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Per sequence its segments' starts, or null (entries or all): one segment. */
  private final long[][] segmentStarts;

  /** Per sequence its global positions, increasing, or null (entries or all): none. */
  private final long[][] globalPositions;

  private SequenceMasks(long[][] segmentStarts, long[][] globalPositions) {
    this.segmentStarts = segmentStarts;
    this.globalPositions = globalPositions;
  }

  /** Segments: sequence {@code s}'s start at {@code starts[s]} (a null entry: one segment). */
  public static SequenceMasks segments(long[][] starts) {
    return new SequenceMasks(starts, null);
  }

  /**
   * Global tokens: sequence {@code s}'s at {@code positions[s]}, increasing (a null or empty entry:
   * none).
   */
  public static SequenceMasks globals(long[][] positions) {
    return new SequenceMasks(null, positions);
  }

  /**
   * Segments and global tokens both (packed documents with global tokens): sequence {@code s}'s
   * segments start at {@code starts[s]} and its global tokens sit at {@code positions[s]}; either
   * array (or any entry) may be null for none. The global tokens see and are seen within their
   * segment only ({@link Mask#withSegments}).
   *
   * @throws IllegalArgumentException if both arrays are null or their lengths differ
   */
  public static SequenceMasks of(long[][] starts, long[][] positions) {
    if (starts == null && positions == null) {
      throw new IllegalArgumentException("no segments and no global tokens: no sequence masks");
    }
    if (starts != null && positions != null && starts.length != positions.length) {
      throw new IllegalArgumentException(
          "segments of " + starts.length + " sequences, global tokens of " + positions.length);
    }
    return new SequenceMasks(starts, positions);
  }

  /** The number of sequences these masks are for. */
  int size() {
    return segmentStarts != null ? segmentStarts.length : globalPositions.length;
  }

  /** Per sequence its segments' starts (null entries: one segment), or null for none; shared. */
  public long[][] segmentStarts() {
    return segmentStarts;
  }

  /** Whether some sequence has segments. */
  public boolean hasSegments() {
    return segmentStarts != null;
  }

  /** Sequence {@code s}'s global positions (null: none); shared, not to be changed. */
  public long[] globalPositions(int s) {
    return globalPositions == null ? null : globalPositions[s];
  }

  /**
   * Sequence {@code s}'s mask: {@code base} within its segments, with its global tokens.
   *
   * @throws IllegalArgumentException if its segment starts or global positions are out of order
   */
  public Mask apply(Mask base, int s) {
    long[] starts = segmentStarts == null ? null : segmentStarts[s];
    long[] globals = globalPositions(s);
    Mask m = starts == null ? base : base.withSegments(starts);
    return globals == null || globals.length == 0 ? m : m.withGlobalPositions(globals);
  }

  /**
   * Throws unless sequence {@code s}'s segment starts and global positions lie below its {@code
   * length}.
   */
  void check(int s, long length) {
    long[] starts = segmentStarts == null ? null : segmentStarts[s];
    if (starts != null && starts.length > 0 && starts[starts.length - 1] >= length) {
      throw new IllegalArgumentException(
          "sequence "
              + s
              + " of length "
              + length
              + " has a segment starting at "
              + starts[starts.length - 1]);
    }
    long[] globals = globalPositions(s);
    if (globals != null && globals.length > 0 && globals[globals.length - 1] >= length) {
      throw new IllegalArgumentException(
          "sequence "
              + s
              + " of length "
              + length
              + " has a global token at "
              + globals[globals.length - 1]);
    }
  }
}
