/* tests/unit/test_rule.c - rules/rule: enums, defaults, comparisons. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/err.h"
#include "rules/rule.h"

static void
test_names_round_trip(void **state)
{
    enum sw_cmp c;
    enum sw_tmd t;
    enum sw_state s;

    (void)state;
    for (int i = SW_CMP_GT; i <= SW_CMP_LE; i++) {
        assert_int_equal(sw_cmp_parse(sw_cmp_name((enum sw_cmp)i), &c), 0);
        assert_int_equal(c, i);
    }
    for (int i = SW_TMD_MISSING; i <= SW_TMD_NOT_BREACHING; i++) {
        assert_int_equal(sw_tmd_parse(sw_tmd_name((enum sw_tmd)i), &t), 0);
        assert_int_equal(t, i);
    }
    for (int i = SW_STATE_INSUFFICIENT_DATA; i <= SW_STATE_ALARM; i++) {
        assert_int_equal(sw_state_parse(sw_state_name((enum sw_state)i), &s),
                         0);
        assert_int_equal(s, i);
    }
    assert_string_equal(sw_cmp_name(SW_CMP_GE),
                        "GreaterThanOrEqualToThreshold");
    assert_string_equal(sw_tmd_name(SW_TMD_NOT_BREACHING), "notBreaching");
    assert_string_equal(sw_state_name(SW_STATE_INSUFFICIENT_DATA),
                        "INSUFFICIENT_DATA");
    assert_int_equal(sw_cmp_parse("greaterThanThreshold", &c), SW_EINVAL);
    assert_int_equal(sw_cmp_parse("LessThanLowerThreshold", &c), SW_EINVAL);
    assert_int_equal(sw_tmd_parse("NotBreaching", &t), SW_EINVAL);
    assert_int_equal(sw_state_parse(NULL, &s), SW_EINVAL);
}

static void
test_breaches(void **state)
{
    (void)state;
    /* The metric is the left operand; equality only for the -OrEqualTo
     * operators. */
    assert_true(sw_cmp_breaches(SW_CMP_GT, 11, 10));
    assert_false(sw_cmp_breaches(SW_CMP_GT, 10, 10));
    assert_true(sw_cmp_breaches(SW_CMP_GE, 10, 10));
    assert_false(sw_cmp_breaches(SW_CMP_GE, 9.999, 10));
    assert_true(sw_cmp_breaches(SW_CMP_LT, 9, 10));
    assert_false(sw_cmp_breaches(SW_CMP_LT, 10, 10));
    assert_true(sw_cmp_breaches(SW_CMP_LE, 10, 10));
    assert_false(sw_cmp_breaches(SW_CMP_LE, 10.001, 10));
}

static void
test_defaults_and_range(void **state)
{
    struct sw_rule *r = sw_rule_new();

    (void)state;
    assert_non_null(r);
    assert_int_equal(r->tmd, SW_TMD_MISSING);
    assert_int_equal(r->actions_enabled, 1);
    /* N = 3 -> 5, the documented example; small N still looks 2 back. */
    r->evaluation_periods = 3;
    assert_int_equal(sw_rule_eval_range(r), 5);
    r->evaluation_periods = 1;
    assert_int_equal(sw_rule_eval_range(r), 3);
    r->evaluation_periods = 9;
    assert_int_equal(sw_rule_eval_range(r), 12);
    r->evaluation_range = 20;
    assert_int_equal(sw_rule_eval_range(r), 20);
    assert_int_equal(sw_strv_push(&r->alarm_actions, "a"), 0);
    assert_int_equal(sw_strv_push(&r->alarm_actions, "b"), 0);
    assert_int_equal(r->alarm_actions.n, 2);
    assert_string_equal(r->alarm_actions.v[1], "b");
    sw_rule_free(r);
    sw_rule_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_breaches),
        cmocka_unit_test(test_defaults_and_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
