package io.sparkattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The spec's builder: defaults, masks, and every rule naming its parameter. */
class AttentionSpecTest {

  @Test
  void defaultsAreGlobalSoftOneHeadAuto() {
    AttentionSpec s = AttentionSpec.builder().build();
    assertEquals(Mask.none(), s.mask());
    assertEquals(1, s.numHeads());
    assertTrue(s.weights().isNone());
    assertEquals(Strategy.AUTO, s.strategy());
    assertEquals(1024, s.blockSize());
    assertEquals(16, s.queryTileBlocks());
    assertEquals(32, s.keyTileBlocks());
    assertEquals(0, s.partitions());
    assertEquals(Selection.soft(), s.selection());
    assertEquals(io.sparkattention.kernel.Precision.FP64, s.precision());
    assertFalse(s.isLocalP());
    assertFalse(s.isCross());
    assertEquals(0, s.pyramidLevels());
    assertFalse(s.windowClip());
  }

  @Test
  void causalAndWindowCombineInEitherOrder() {
    assertEquals(Mask.causal(), AttentionSpec.builder().causal().build().mask());
    assertEquals(Mask.window(5), AttentionSpec.builder().window(5).build().mask());
    assertEquals(Mask.causalWindow(5), AttentionSpec.builder().causal().window(5).build().mask());
    assertEquals(Mask.causalWindow(5), AttentionSpec.builder().window(5).causal().build().mask());
    assertEquals(Mask.none(), AttentionSpec.builder().causal().global().build().mask());
  }

  @Test
  void toBuilderKeepsEveryValue() {
    AttentionSpec s =
        AttentionSpec.builder()
            .window(3)
            .heads(4)
            .strategy(Strategy.WINDOW)
            .blockSize(64)
            .queryTileBlocks(2)
            .keyTileBlocks(5)
            .partitions(7)
            .selection(Selection.sampled(9))
            .scale(0.5)
            .softcap(30)
            .alibi(true)
            .rope(io.sparkattention.kernel.Rope.Style.INTERLEAVED)
            .ropeTheta(500000)
            .kvHeads(2)
            .windowClip(true)
            .build();
    assertEquals(s, s.toBuilder().build());
    AttentionSpec fp32 = spec().causal().precision(io.sparkattention.kernel.Precision.FP32).build();
    assertEquals(fp32, fp32.toBuilder().build());
    assertFalse(fp32.equals(spec().causal().build()));
    assertTrue(s.toBuilder().build().windowClip());
    assertNotEquals(s, s.toBuilder().windowClip(false).build());
    assertEquals(2, s.kvHeads());
    assertEquals(
        2,
        io.sparkattention.spark.attention.DistributedAttention.planOptions(s, Strategy.HEADS)
            .kvHeads());
    assertNotEquals(s, s.toBuilder().kvHeads(1).build());
    assertNotEquals(s, s.toBuilder().ropeTheta(1e4).build());
    assertEquals(s.hashCode(), s.toBuilder().build().hashCode());
    assertNotEquals(s, s.toBuilder().heads(2).build());
    AttentionWeights w =
        AttentionWeights.builder().output(CommonOps_DDRM.identity(2), new double[] {1, 2}).build();
    AttentionSpec weighted = s.toBuilder().weights(w).build();
    assertEquals(w, weighted.weights());
    assertEquals(s, weighted.toBuilder().weights(AttentionWeights.none()).build());
  }

  static Stream<Arguments> badSpecs() {
    return Stream.of(
        bad("heads", "heads must be >= 1, got 0", () -> AttentionSpec.builder().heads(0).build()),
        bad(
            "blockSize",
            "blockSize must be >= 1, got 0",
            () -> AttentionSpec.builder().blockSize(0).build()),
        bad(
            "queryTileBlocks",
            "queryTileBlocks must be >= 1, got 0",
            () -> AttentionSpec.builder().queryTileBlocks(0).build()),
        bad(
            "keyTileBlocks",
            "keyTileBlocks must be >= 1, got -1",
            () -> AttentionSpec.builder().keyTileBlocks(-1).build()),
        bad(
            "partitions",
            "partitions must be >= 0, got -2",
            () -> AttentionSpec.builder().partitions(-2).build()),
        bad("window", "window must be >= 0, got -1", () -> AttentionSpec.builder().window(-1)),
        bad(
            "localPWindow",
            "localPWindow must be >= 1, got -3",
            () -> AttentionSpec.builder().localP(-3).build()),
        bad(
            "localPWindow",
            "localPWindow applies to softmax attention, not hard",
            () -> AttentionSpec.builder().localP(4).selection(Selection.hard()).build()),
        bad(
            "localPWindow",
            "localPWindow takes its windows from the predicted centres",
            () -> AttentionSpec.builder().localP(4).causal().build()),
        bad(
            "pyramidLevels",
            "pyramidLevels must be between 0 and 10, got 11",
            () -> AttentionSpec.builder().pyramidLevels(11).build()),
        bad(
            "pyramidLevels",
            "pyramidLevels applies to self-attention, not cross attention",
            () -> AttentionSpec.builder().cross(true).pyramidLevels(1).build()),
        bad(
            "localPWindow",
            "localPWindow is self-attention",
            () -> AttentionSpec.builder().cross(true).localP(2).build()),
        bad(
            "strategy",
            "strategy window does not apply to cross attention",
            () -> AttentionSpec.builder().cross(true).strategy(Strategy.WINDOW).build()),
        bad(
            "mask",
            "mask does not apply to cross attention",
            () -> AttentionSpec.builder().cross(true).window(3).build()),
        bad("scale", "scale must be finite and > 0, got 0.0", () -> spec().scale(0).build()),
        bad("softcap", "softcap must be > 0, got -1.0", () -> spec().softcap(-1).build()),
        bad(
            "kvHeads",
            "kvHeads must divide heads (8), got 3",
            () -> spec().heads(8).kvHeads(3).build()),
        bad(
            "kvHeads",
            "kvHeads must divide heads (2), got 4",
            () -> spec().heads(2).kvHeads(4).build()),
        bad("kvHeads", "kvHeads must be >= 1, got -1", () -> spec().kvHeads(-1).build()),
        bad(
            "ropeTheta",
            "ropeTheta must be finite and > 1, got 1.0",
            () -> spec().rope(io.sparkattention.kernel.Rope.Style.HALF).ropeTheta(1).build()),
        bad(
            "ropeTheta",
            "ropeTheta applies to rotary embeddings",
            () -> spec().ropeTheta(5).build()),
        bad(
            "alibi",
            "alibi does not apply to local-p attention",
            () -> spec().localP(3).alibi(true).build()),
        bad(
            "rope",
            "rope does not apply to local-p attention",
            () -> spec().localP(3).rope(io.sparkattention.kernel.Rope.Style.HALF).build()),
        bad(
            "alibi",
            "alibi does not apply to cross attention",
            () -> spec().cross(true).alibi(true).build()),
        bad(
            "windowClip",
            "windowClip needs a window mask (local, or causal with a window), not causal",
            () -> spec().causal().windowClip(true).build()),
        bad("windowClip", "windowClip needs a window mask", () -> spec().windowClip(true).build()),
        bad(
            "selection",
            "selection is required",
            () -> AttentionSpec.builder().selection(null).build()),
        bad(
            "precision",
            "precision is required",
            () -> AttentionSpec.builder().precision(null).build()),
        bad(
            "precision",
            "precision fp32 applies to softmax attention; hard attention (an argmax) computes in"
                + " fp64",
            () ->
                spec()
                    .selection(Selection.sampled(1))
                    .precision(io.sparkattention.kernel.Precision.FP32)
                    .build()));
  }

  private static AttentionSpec.Builder spec() {
    return AttentionSpec.builder();
  }

  private static Arguments bad(String parameter, String message, Supplier<Object> build) {
    return Arguments.of(parameter, message, build);
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badSpecs")
  void everyRuleNamesItsParameter(String parameter, String message, Supplier<Object> build) {
    InputException e = assertThrows(InputException.class, build::get);
    assertEquals(parameter, e.parameter());
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
    assertEquals(parameter + " " + e.problem(), e.getMessage());
  }

  @Test
  void dataErrorsNameNoParameter() {
    InputException e = new InputException("input row seq_id=a pos=3: NaN in x");
    assertEquals(null, e.parameter());
    assertEquals(e.getMessage(), e.problem());
  }
}
