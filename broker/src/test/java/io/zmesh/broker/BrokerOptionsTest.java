package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The byte budgets form one set: subscription within connection within the memory budget. */
class BrokerOptionsTest {
  @Test
  void theDefaultBudgetsNestAndTheConnectionsBoundIsAnnouncedAsItsUnreadBytes() {
    BrokerOptions o = BrokerOptions.defaults();
    assertEquals(64L << 20, o.subscriptionBudgetBytes());
    assertEquals(64L << 20, o.connectionBudgetBytes());
    assertEquals(524_288, o.subscriptionBudgetMessages());
    assertEquals(524_288, o.connectionBudgetMessages());
    assertTrue(o.subscriptionBudgetBytes() <= o.connectionBudgetBytes());
    // The default memory budget's cap holds eight connections at their full budget.
    assertEquals(8 * BrokerOptions.DEFAULT_CONNECTION_BUDGET_BYTES,
        BrokerOptions.MAX_DEFAULT_MEMORY_BUDGET);
    assertTrue(o.memoryBudget() <= BrokerOptions.MAX_DEFAULT_MEMORY_BUDGET);
  }

  @Test
  void aLowerConnectionBudgetLowersTheDefaultOfSubscriptionsButNotAnExplicitOne() {
    BrokerOptions o = BrokerOptions.builder().connectionBudget(1_000, 16L << 20).build();
    assertEquals(1_000, o.subscriptionBudgetMessages());
    assertEquals(16L << 20, o.subscriptionBudgetBytes());

    BrokerOptions.Builder explicit = BrokerOptions.builder()
        .subscriptionBudget(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES, 32L << 20)
        .connectionBudget(BrokerOptions.DEFAULT_CONNECTION_BUDGET_MESSAGES, 16L << 20);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, explicit::build);
    assertTrue(e.getMessage().contains("must not exceed the connection budget"), e.getMessage());
  }

  @Test
  void aConnectionBudgetMustHoldTheLargestMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BrokerOptions.builder().connectionBudget(100, 64 << 10).build());
    assertTrue(e.getMessage().contains("cannot hold a message of the largest size"),
        e.getMessage());
    assertEquals(64 << 10, BrokerOptions.builder().maxMessageBytes(32 << 10)
        .connectionBudget(100, 64 << 10).build().connectionBudgetBytes());
  }
}
