package io.sparkattention.spark.attention;

import io.sparkattention.kernel.AttentionOps;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.AttentionWorkspace;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.MultiHeadOps;
import io.sparkattention.kernel.Precision;
import io.sparkattention.kernel.ScoreOptions;
import io.sparkattention.kernel.ScoreRule;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.LocalPCells;
import io.sparkattention.plan.TileTask;
import io.sparkattention.spark.Selection;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import scala.Tuple2;

/**
 * Runs the tile tasks of one partition. Its input is sorted by (task, role, pos): for each task it
 * first holds the task's queries (projected, cut into blocks of {@code blockSize} rows and into
 * heads), then lets the keys stream past one block at a time, folding each key block into every
 * query block's partial state that the mask lets it reach (online softmax, in key order; for hard
 * attention the best key so far). Memory per task: the query tile and its state, one key block, one
 * score block.
 *
 * <p>A local-p task's queries are those whose predicted centres fall in its tile, at scattered
 * positions. The task computes each query's centre again from its vector (the same bits as for the
 * plan), orders the queries by centre and cuts them into blocks, so that a query block's windows
 * are close together and meet few key blocks; a key block is folded, with the Gaussian weighting,
 * only into the query blocks whose windows reach it.
 *
 * <p>The score options ({@link ScoreOptions}) apply per head: RoPE rotates a query block at its
 * positions once, and each key block as it arrives; query head h scores with its rule (scale,
 * softcap, ALiBi slope) against the keys of its key/value head. A task of the head split holds
 * whole groups (key/value heads with their query heads), so its projected keys and values are the
 * group's columns.
 */
final class TileTaskFn implements FlatMapFunction<Iterator<Tuple2<RouteKey, double[]>>, TokenPart> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<AttentionPlan> plan;
  private final Broadcast<AttentionWeights> weights;
  private final Selection selection;
  private final ScoreOptions scores;
  private final KeyShipping shipping;
  private final Precision precision;

  /**
   * Softmax or hard attention, as {@code selection} says, scored as {@code scores} say, its key
   * rows arriving as {@code shipping} says, its soft blocks' products in {@code precision}.
   */
  public TileTaskFn(
      Broadcast<AttentionPlan> plan,
      Broadcast<AttentionWeights> weights,
      Selection selection,
      ScoreOptions scores,
      KeyShipping shipping,
      Precision precision) {
    this.plan = plan;
    this.weights = weights;
    this.selection = selection;
    this.scores = scores;
    this.shipping = shipping;
    this.precision = precision;
  }

  @Override
  public Iterator<TokenPart> call(Iterator<Tuple2<RouteKey, double[]>> input) {
    return new TaskRunner(
        plan.value(), weights.value(), selection, scores, shipping, precision, input);
  }

  /** Lazily runs one task after another, yielding each task's token results. */
  static final class TaskRunner implements Iterator<TokenPart> {
    private final AttentionPlan plan;
    private final AttentionWeights weights;
    private final Selection selection;
    private final ScoreOptions scores;
    private final KeyShipping shipping;
    private final Iterator<Tuple2<RouteKey, double[]>> input;
    private final ArrayDeque<TokenPart> ready = new ArrayDeque<>();
    private final AttentionWorkspace ws;
    private Tuple2<RouteKey, double[]> pending;

    /** Local-p, per task: each query row's position, and per query block its centres and hull. */
    private long[] rowPos;

    private double[][] blockCentres;
    private long[] hullLo;
    private long[] hullHi;

    TaskRunner(
        AttentionPlan plan,
        AttentionWeights weights,
        Selection selection,
        ScoreOptions scores,
        KeyShipping shipping,
        Precision precision,
        Iterator<Tuple2<RouteKey, double[]>> input) {
      this.plan = plan;
      this.weights = weights;
      this.selection = selection;
      this.scores = scores;
      this.shipping = shipping;
      this.ws = new AttentionWorkspace(precision);
      this.input = input;
      this.pending = input.hasNext() ? input.next() : null;
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && pending != null) {
        runTask(plan.task(pending._1().task));
      }
      return !ready.isEmpty();
    }

    @Override
    public TokenPart next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private Tuple2<RouteKey, double[]> advance() {
      Tuple2<RouteKey, double[]> current = pending;
      pending = input.hasNext() ? input.next() : null;
      return current;
    }

    private boolean pendingIs(TileTask t, byte role) {
      return pending != null && pending._1().task == t.id() && pending._1().role == role;
    }

    private void runTask(TileTask t) {
      final int B = plan.blockSize();
      final Mask mask = plan.mask(t.seqIndex());
      final int tq = (int) t.queryCount();
      final int numQBlocks = (tq + B - 1) / B;
      final int groupHeads = t.headCount();
      final boolean localP = plan.isLocalP();

      // 1. The task's queries, in position order: project, then cut into blocks × heads.
      DMatrixRMaj Xq = null;
      rowPos = localP ? new long[tq] : null;
      int seen = 0;
      while (pendingIs(t, RouteKey.QUERY)) {
        Tuple2<RouteKey, double[]> rec = advance();
        double[] x = rec._2();
        if (Xq == null) {
          Xq = new DMatrixRMaj(tq, x.length);
        }
        int row = localP ? seen : (int) (rec._1().pos - t.qStart());
        if (row != seen || seen == tq) {
          throw new IllegalStateException(
              "task " + t.id() + ": query rows out of order or too many at " + rec._1());
        }
        if (localP) {
          rowPos[row] = rec._1().pos;
        }
        System.arraycopy(x, 0, Xq.data, row * x.length, x.length);
        seen++;
      }
      if (seen != tq) {
        throw new IllegalStateException(
            "task " + t.id() + " received " + seen + " of " + tq + " queries");
      }
      double[] centres = localP ? orderByCentre(t, Xq) : null;
      DMatrixRMaj Q = shipping.groupColumns(weights.projectQuery(Xq), t);
      DMatrixRMaj[][] qBlocks = new DMatrixRMaj[numQBlocks][groupHeads];
      BlockStates states = new BlockStates(selection, numQBlocks, groupHeads, t.headStart());
      int valueWidth = -1;
      if (localP) {
        blockCentres = new double[numQBlocks][];
        hullLo = new long[numQBlocks];
        hullHi = new long[numQBlocks];
      }
      for (int b = 0; b < numQBlocks; b++) {
        int r0 = b * B;
        int r1 = Math.min(tq, r0 + B);
        DMatrixRMaj rows = CommonOps_DDRM.extract(Q, r0, r1, 0, Q.numCols);
        for (int h = 0; h < groupHeads; h++) {
          qBlocks[b][h] = groupHeads == 1 ? rows : MultiHeadOps.head(rows, h, groupHeads);
          if (scores.rope() != null) {
            // rows and head() are copies: rotating them changes nothing else
            scores.rope().rotate(qBlocks[b][h], t.qStart() + r0);
          }
        }
        if (localP) {
          blockCentres[b] = Arrays.copyOfRange(centres, r0, r1);
          hullLo[b] = Long.MAX_VALUE;
          hullHi[b] = Long.MIN_VALUE;
          int D = plan.localPWindow();
          long n = plan.keyLength(t.seqIndex());
          for (double c : blockCentres[b]) {
            hullLo[b] = Math.min(hullLo[b], LocalPCells.windowLo(c, D));
            hullHi[b] = Math.max(hullHi[b], LocalPCells.windowHi(c, D, n));
          }
        }
      }

      // 2. Keys stream past in position order, one block of B at a time. A whole sequence of
      // self-attention was shipped once (RouteTokensFn): its queries, every position, are its one
      // key block.
      long expectedKeys = t.keyCount();
      long keysSeen = 0;
      if (plan.isSelfAttention() && plan.isWhole(t.seqIndex())) {
        valueWidth = foldKeyBlock(t, mask, Xq, false, t.kStart(), null, qBlocks, states);
        keysSeen = expectedKeys;
      }
      DMatrixRMaj Xk = null;
      int inBlock = 0;
      long blockStart = t.kStart();
      // gathered keys (a key group's global tokens apart from the tile's reach): their positions
      final long[] gatheredPos = t.gatheredKeys() ? new long[B] : null;
      final boolean projected = shipping.projected(t);
      long lastPos = t.kStart() - 1;
      while (pendingIs(t, RouteKey.KEY)) {
        Tuple2<RouteKey, double[]> rec = advance();
        double[] x = rec._2();
        if (Xk == null) {
          Xk = new DMatrixRMaj(B, x.length);
        }
        long pos = rec._1().pos;
        if (gatheredPos != null ? pos <= lastPos || pos >= t.kEnd() : pos != blockStart + inBlock) {
          throw new IllegalStateException(
              "task " + t.id() + ": key rows out of order at " + rec._1());
        }
        if (gatheredPos != null) {
          gatheredPos[inBlock] = pos;
        }
        lastPos = pos;
        System.arraycopy(x, 0, Xk.data, inBlock * x.length, x.length);
        inBlock++;
        keysSeen++;
        if (inBlock == B || keysSeen == expectedKeys) {
          Xk.reshape(inBlock, Xk.numCols, true);
          long[] keyPos = gatheredPos == null ? null : Arrays.copyOf(gatheredPos, inBlock);
          valueWidth = foldKeyBlock(t, mask, Xk, projected, blockStart, keyPos, qBlocks, states);
          blockStart += inBlock;
          inBlock = 0;
          Xk.reshape(B, Xk.numCols, true);
        }
      }
      if (keysSeen != expectedKeys) {
        throw new IllegalStateException(
            "task " + t.id() + " received " + keysSeen + " of " + expectedKeys + " keys");
      }
      if (valueWidth < 0) {
        // No key block at all (a keyless task): the value width comes from the weights.
        int dIn = Xq.numCols;
        valueWidth = weights.valueWidth(dIn) / scores.kvHeads(plan.numHeads());
      }
      emit(t, qBlocks, states, valueWidth);
    }

    /**
     * Local-p: orders the task's query rows ({@code Xq}, {@link #rowPos}) by predicted centre, ties
     * by position, in place; returns the centres in that order.
     */
    private double[] orderByCentre(TileTask t, DMatrixRMaj Xq) {
      final int m = Xq.numRows;
      final int d = Xq.numCols;
      long n = plan.keyLength(t.seqIndex());
      double[] c = new double[m];
      double[] x = new double[d];
      Integer[] order = new Integer[m];
      for (int i = 0; i < m; i++) {
        System.arraycopy(Xq.data, i * d, x, 0, d);
        c[i] = weights.localPCentre(x, n);
        order[i] = i;
      }
      final long[] pos = rowPos;
      Arrays.sort(
          order, Comparator.<Integer>comparingDouble(i -> c[i]).thenComparingLong(i -> pos[i]));
      double[] data = new double[m * d];
      double[] centres = new double[m];
      long[] sortedPos = new long[m];
      for (int r = 0; r < m; r++) {
        int i = order[r];
        System.arraycopy(Xq.data, i * d, data, r * d, d);
        centres[r] = c[i];
        sortedPos[r] = pos[i];
      }
      System.arraycopy(data, 0, Xq.data, 0, m * d);
      rowPos = sortedPos;
      return centres;
    }

    /**
     * Folds one key block, at positions {@code kPos0, kPos0 + 1, …} or gathered at {@code keyPos},
     * into every query block's state it can reach; returns the head width. Its rows are raw, or the
     * task's projected keys and values ({@code projected}).
     */
    private int foldKeyBlock(
        TileTask t,
        Mask mask,
        DMatrixRMaj Xk,
        boolean projected,
        long kPos0,
        long[] keyPos,
        DMatrixRMaj[][] qBlocks,
        BlockStates states) {
      final int B = plan.blockSize();
      if (keyPos != null) {
        kPos0 = keyPos[0];
      }
      DMatrixRMaj[] kv = shipping.keysAndValues(Xk, t, weights, projected);
      DMatrixRMaj K = kv[0];
      DMatrixRMaj V = kv[1];
      final int groupHeads = t.headCount();
      final int numHeads = plan.numHeads();
      // the group's key/value heads: G / groups of them, the first being kvStart (groups from the
      // task, not the plan: a whole sequence's task holds every head in one group)
      final int groupKv = scores.kvHeads(numHeads) / (numHeads / groupHeads);
      final int kvStart = t.headGroup() * groupKv;
      DMatrixRMaj[] kh = new DMatrixRMaj[groupKv];
      DMatrixRMaj[] vh = new DMatrixRMaj[groupKv];
      for (int g = 0; g < groupKv; g++) {
        kh[g] = groupKv == 1 ? K : MultiHeadOps.head(K, g, groupKv);
        vh[g] = groupKv == 1 ? V : MultiHeadOps.head(V, g, groupKv);
        if (scores.rope() != null) {
          // K may be the input itself (no wk) or share it with V: rotate a copy
          kh[g] = kh[g] == K ? K.copy() : kh[g];
          if (keyPos == null) {
            scores.rope().rotate(kh[g], kPos0);
          } else {
            scores.rope().rotate(kh[g], keyPos);
          }
        }
      }
      DMatrixRMaj[] kOf = new DMatrixRMaj[groupHeads];
      DMatrixRMaj[] vOf = new DMatrixRMaj[groupHeads];
      ScoreRule[] rules = new ScoreRule[groupHeads];
      for (int h = 0; h < groupHeads; h++) {
        int g = scores.kvHead(t.headStart() + h, numHeads) - kvStart;
        kOf[h] = kh[g];
        vOf[h] = vh[g];
        rules[h] = scores.rule(t.headStart() + h, numHeads);
      }
      long kEnd = keyPos == null ? kPos0 + Xk.numRows - 1 : keyPos[keyPos.length - 1];
      for (int b = 0; b < qBlocks.length; b++) {
        long q0 = t.qStart() + (long) b * B;
        long q1 = q0 + qBlocks[b][0].numRows - 1;
        states.ensure(b, qBlocks[b][0].numRows, vh[0].numCols);
        if (blockCentres != null) {
          if (hullHi[b] < kPos0 || hullLo[b] > kEnd) {
            continue; // no window of this query block reaches the key block
          }
          for (int h = 0; h < groupHeads; h++) {
            AttentionOps.accumulateLocalP(
                states.soft(b, h),
                qBlocks[b][h],
                blockCentres[b],
                kOf[h],
                vOf[h],
                kPos0,
                plan.localPWindow(),
                ws);
          }
          continue;
        }
        if (!mask.anyAllowed(q0, q1, kPos0, kEnd)) {
          continue; // wholly masked block pair (e.g. above the causal diagonal)
        }
        for (int h = 0; h < groupHeads; h++) {
          if (keyPos == null) {
            AttentionOps.accumulate(
                states.get(b, h), qBlocks[b][h], q0, kOf[h], vOf[h], kPos0, mask, rules[h], ws);
          } else {
            AttentionOps.accumulateGathered(
                states.get(b, h), qBlocks[b][h], q0, kOf[h], vOf[h], keyPos, mask, rules[h], ws);
          }
        }
      }
      return vh[0].numCols;
    }

    private void emit(TileTask t, DMatrixRMaj[][] qBlocks, BlockStates states, int valueWidth) {
      final int B = plan.blockSize();
      final int parts = plan.partsPerQuery(t);
      for (int b = 0; b < qBlocks.length; b++) {
        states.ensure(b, qBlocks[b][0].numRows, valueWidth);
        for (int i = 0; i < qBlocks[b][0].numRows; i++) {
          long pos = rowPos != null ? rowPos[b * B + i] : t.qStart() + (long) b * B + i;
          ready.add(states.part(b, i, t, pos, parts, valueWidth));
        }
      }
    }
  }
}
