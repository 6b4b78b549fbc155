package io.sparkattention.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the local-p queries of every sequence look: their predicted centres summarised for {@link
 * AttentionPlan#createLocalP}, without keeping one number per token.
 *
 * <p>A query at position t with centre c sees the keys of its window {@code [max(0, ceil(c − D)),
 * min(n − 1, floor(c + D))]} ({@link #windowLo}, {@link #windowHi}). Queries are grouped into cells
 * by (centre block {@code floor(c / blockSize)}, position chunk {@code t / chunkRows}); a cell
 * keeps its query count, the range of their positions, the hull of their windows and the sum of
 * their window sizes (the (query, key) pairs they attend to). The plan cuts tiles from whole cells,
 * so a query's tile follows from its centre and position alone.
 *
 * <p>Built per Spark partition with {@link #add} and combined with {@link #merge} (associative and
 * commutative: every field is a count, sum, min or max).
 */
public final class LocalPCells implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] lengths;
  private final int halfWidth;
  private final int blockSize;
  private final long chunkRows;

  /** Per sequence: cell key ({@link #cellKey}) → cell; null while the sequence has no query. */
  private final Map<Long, Cell>[] cells;

  /**
   * An empty summary.
   *
   * @param lengths every sequence's length n (queries and keys)
   * @param halfWidth the window half-width D, ≥ 1
   * @param blockSize kernel block rows: the width of a centre block
   * @param chunkRows rows of a position chunk: the largest tile a plan may cut (queryTileBlocks ·
   *     blockSize)
   */
  @SuppressWarnings("unchecked")
  public LocalPCells(long[] lengths, int halfWidth, int blockSize, long chunkRows) {
    if (halfWidth < 1) {
      throw new IllegalArgumentException("local-p window D must be >= 1, got " + halfWidth);
    }
    if (blockSize < 1 || chunkRows < 1) {
      throw new IllegalArgumentException(
          "block size and chunk rows must be >= 1, got " + blockSize + " and " + chunkRows);
    }
    this.lengths = lengths.clone();
    this.halfWidth = halfWidth;
    this.blockSize = blockSize;
    this.chunkRows = chunkRows;
    this.cells = new Map[lengths.length];
  }

  /** First key of the window of centre c among n keys: {@code max(0, ceil(c − D))}. */
  public static long windowLo(double centre, int halfWidth) {
    return Math.max(0, (long) Math.ceil(centre - halfWidth));
  }

  /** Last key of the window of centre c among n keys: {@code min(n − 1, floor(c + D))}. */
  public static long windowHi(double centre, int halfWidth, long n) {
    return Math.min(n - 1, (long) Math.floor(centre + halfWidth));
  }

  /** The centre block of centre c: {@code floor(c / blockSize)}, at most the last key block. */
  static long centreBlock(double centre, int blockSize, long n) {
    long last = (n - 1) / blockSize;
    return Math.max(0, Math.min(last, (long) Math.floor(centre / blockSize)));
  }

  static long cellKey(long centreBlock, long chunk) {
    return (centreBlock << 32) | chunk;
  }

  /**
   * Counts the query at {@code pos} of sequence {@code seqIndex} whose centre is {@code centre}.
   *
   * @throws IllegalArgumentException if the position is outside the sequence or the centre is not
   *     finite
   */
  public void add(int seqIndex, long pos, double centre) {
    long n = lengths[seqIndex];
    if (pos < 0 || pos >= n) {
      throw new IllegalArgumentException(
          "query position " + pos + " is outside 0.." + (n - 1) + " of sequence " + seqIndex);
    }
    if (!Double.isFinite(centre)) {
      throw new IllegalArgumentException(
          "centre of sequence " + seqIndex + " pos " + pos + " is " + centre);
    }
    long lo = windowLo(centre, halfWidth);
    long hi = windowHi(centre, halfWidth, n);
    Cell c = new Cell(1, pos, pos, lo, hi, Math.max(0, hi - lo + 1));
    if (cells[seqIndex] == null) {
      cells[seqIndex] = new HashMap<>();
    }
    cells[seqIndex].merge(
        cellKey(centreBlock(centre, blockSize, n), pos / chunkRows), c, Cell::plus);
  }

  /** Adds every cell of {@code other} (same lengths and sizes) into this one; returns this. */
  public LocalPCells merge(LocalPCells other) {
    if (other.lengths.length != lengths.length
        || other.halfWidth != halfWidth
        || other.blockSize != blockSize
        || other.chunkRows != chunkRows) {
      throw new IllegalArgumentException("cannot merge local-p cells of different plans");
    }
    for (int s = 0; s < cells.length; s++) {
      if (other.cells[s] == null) {
        continue;
      }
      if (cells[s] == null) {
        cells[s] = new HashMap<>();
      }
      for (Map.Entry<Long, Cell> e : other.cells[s].entrySet()) {
        cells[s].merge(e.getKey(), e.getValue(), Cell::plus);
      }
    }
    return this;
  }

  /** The window half-width D. */
  public int halfWidth() {
    return halfWidth;
  }

  /** Kernel block rows: the width of a centre block. */
  public int blockSize() {
    return blockSize;
  }

  /** Rows of a position chunk: the largest tile a plan may cut. */
  public long chunkRows() {
    return chunkRows;
  }

  /** Number of sequences. */
  public int numSequences() {
    return lengths.length;
  }

  /** Queries counted for sequence {@code seqIndex}. */
  public long queries(int seqIndex) {
    long q = 0;
    if (cells[seqIndex] != null) {
      for (Cell c : cells[seqIndex].values()) {
        q += c.count;
      }
    }
    return q;
  }

  /** Number of non-empty cells over all sequences. */
  public int size() {
    int n = 0;
    for (Map<Long, Cell> m : cells) {
      n += m == null ? 0 : m.size();
    }
    return n;
  }

  /** The cells of one sequence, by (centre block, chunk). */
  List<Cell> sorted(int seqIndex) {
    List<Cell> out = new ArrayList<>();
    if (cells[seqIndex] == null) {
      return out;
    }
    List<Long> keys = new ArrayList<>(cells[seqIndex].keySet());
    keys.sort(null);
    for (Long k : keys) {
      out.add(cells[seqIndex].get(k).at(k >>> 32, k & 0xffffffffL));
    }
    return out;
  }

  /** One cell's queries: count, positions, window hull and window sizes. */
  static final class Cell implements Serializable {
    private static final long serialVersionUID = 1L;

    final long count;
    final long minPos;
    final long maxPos;
    final long minLo;
    final long maxHi;
    final long pairs;

    /** Set by {@link #at} for planning; not part of the summary. */
    transient long centreBlock;

    transient long chunk;

    Cell(long count, long minPos, long maxPos, long minLo, long maxHi, long pairs) {
      this.count = count;
      this.minPos = minPos;
      this.maxPos = maxPos;
      this.minLo = minLo;
      this.maxHi = maxHi;
      this.pairs = pairs;
    }

    static Cell plus(Cell a, Cell b) {
      return new Cell(
          a.count + b.count,
          Math.min(a.minPos, b.minPos),
          Math.max(a.maxPos, b.maxPos),
          Math.min(a.minLo, b.minLo),
          Math.max(a.maxHi, b.maxHi),
          a.pairs + b.pairs);
    }

    Cell at(long centreBlock, long chunk) {
      Cell c = new Cell(count, minPos, maxPos, minLo, maxHi, pairs);
      c.centreBlock = centreBlock;
      c.chunk = chunk;
      return c;
    }
  }
}
