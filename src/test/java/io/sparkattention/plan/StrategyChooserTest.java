package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.Mask;
import org.junit.jupiter.api.Test;

class StrategyChooserTest {
  @Test
  void picksByLengthAttentionAndHeads() {
    StrategyChooser.Choice shortOne = StrategyChooser.choose(300, 5, Mask.none(), 1, 1024, 2);
    assertEquals(Strategy.SINGLE, shortOne.strategy());
    assertTrue(shortOne.reason().contains("300"), shortOne.reason());
    assertEquals(
        Strategy.HEADS, StrategyChooser.choose(300, 1, Mask.none(), 4, 1024, 8).strategy());
    assertEquals(
        Strategy.SINGLE, StrategyChooser.choose(300, 20, Mask.none(), 4, 1024, 8).strategy());
    StrategyChooser.Choice local = StrategyChooser.choose(65536, 1, Mask.window(128), 1, 1024, 2);
    assertEquals(Strategy.WINDOW, local.strategy());
    assertTrue(local.reason().contains("65536"), local.reason());
    assertEquals(
        Strategy.WINDOW,
        StrategyChooser.choose(65536, 1, Mask.causalWindow(8), 1, 1024, 2).strategy());
    assertEquals(
        Strategy.BLOCKS, StrategyChooser.choose(65536, 1, Mask.none(), 1, 1024, 2).strategy());
    assertEquals(
        Strategy.BLOCKS, StrategyChooser.choose(65536, 1, Mask.causal(), 2, 1024, 2).strategy());
  }

  @Test
  void aWindowWithGlobalTokensSaysItMerges() {
    String plain = StrategyChooser.choose(65536, 1, Mask.window(128), 1, 1024, 2).reason();
    assertTrue(plain.endsWith("no merge"), plain);
    String first =
        StrategyChooser.choose(65536, 1, Mask.window(128).withGlobalTokens(4), 1, 1024, 2).reason();
    assertTrue(first.contains("the global ones, merged by log-sum-exp"), first);
    StrategyChooser.Choice col =
        StrategyChooser.choose(65536, 1, Mask.window(128), "first", 1, 1024, 2);
    assertEquals(Strategy.WINDOW, col.strategy());
    assertTrue(
        col.reason().contains("the global ones (rows whose first is true), merged by log-sum-exp"),
        col.reason());
  }
}
