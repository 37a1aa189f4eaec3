/* SPDX-License-Identifier: MIT */
/* log_test.c: levels, fields, logger functions and logger processes. */
#include "probe.h"

typedef struct seen_s {
    atomic_long n;
    atomic_long last_level;
    char text[128];
    char field[64];
    pthread_mutex_t mu;
} seen_t;

static void capture(const erg_log_record_t *rec, void *arg) {
    seen_t *s = arg;
    pthread_mutex_lock(&s->mu);
    snprintf(s->text, sizeof(s->text), "%s", rec->text);
    if (rec->nfields > 0)
        snprintf(s->field, sizeof(s->field), "%s=%s", rec->fields[0].key,
                 rec->fields[0].value);
    pthread_mutex_unlock(&s->mu);
    atomic_store(&s->last_level, rec->level);
    atomic_fetch_add(&s->n, 1);
}

static erg_reason_t chatty_init(erg_proc_t *self, void *args) {
    (void)args;
    erg_log(self, ERG_LOG_DEBUG, "hidden at info");
    erg_set_log_level(self, ERG_LOG_DEBUG);
    erg_log(self, ERG_LOG_DEBUG, "shown %d", 1);
    erg_log_field_t f = {"user", "ada"};
    erg_log_fields(self, ERG_LOG_WARNING, &f, 1, "with %s", "fields");
    return ERG_REASON_NONE;
}

static const erg_behavior_t chatty = {.name = "chatty", .init = chatty_init};

static void test_log_levels_fields_and_logger_functions(void **state) {
    (void)state;
    erg_node_t *node = probe_node(1);
    seen_t s = {0};
    pthread_mutex_init(&s.mu, NULL);
    ERG_PASS(erg_node_logger_add(node, "cap", ERG_LOG_TRACE, capture, &s));
    ERG_FAIL(erg_node_logger_add(node, "cap", ERG_LOG_TRACE, capture, &s),
             ERG_ETAKEN);
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &chatty, NULL, NULL, &pid));
    assert_int_equal(atomic_load(&s.n), 2);
    assert_string_equal(s.text, "with fields");
    assert_string_equal(s.field, "user=ada");
    assert_int_equal(atomic_load(&s.last_level), ERG_LOG_WARNING);
    erg_node_log(node, ERG_LOG_TRACE, NULL, 0, "below the node level");
    assert_int_equal(atomic_load(&s.n), 2);
    erg_node_log(node, ERG_LOG_ERROR, NULL, 0, "node says %d", 7);
    assert_int_equal(atomic_load(&s.n), 3);
    assert_string_equal(s.text, "node says 7");
    ERG_PASS(erg_node_logger_remove(node, "cap"));
    ERG_FAIL(erg_node_logger_remove(node, "cap"), ERG_ENOENT);
    erg_node_log(node, ERG_LOG_ERROR, NULL, 0, "nobody hears");
    assert_int_equal(atomic_load(&s.n), 3);
    ERG_PASS(erg_node_stop(node));
    pthread_mutex_destroy(&s.mu);
    assert_string_equal(erg_log_level_string(ERG_LOG_PANIC), "panic");
}

static void test_log_reaches_a_logger_process_until_it_ends(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t lg;
    probe_init(&lg, 0);
    erg_pid_t lpid = probe_spawn(node, &lg, NULL);
    ERG_PASS(erg_node_logger_add_process(node, "proc", ERG_LOG_INFO, lpid));
    erg_node_log(node, ERG_LOG_INFO, NULL, 0, "to the process");
    erg_node_log(node, ERG_LOG_DEBUG, NULL, 0, "filtered");
    assert_true(probe_wait(&lg.logs, 1));
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&lg.logs), 1);
    ERG_PASS(erg_node_send_exit(node, lpid, ERG_REASON_NORMAL));
    assert_true(probe_wait(&lg.terminated, 1));
    /* Its logger entry went with it. */
    ERG_FAIL(erg_node_logger_remove(node, "proc"), ERG_ENOENT);
    ERG_PASS(erg_node_stop(node));
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_log_levels_fields_and_logger_functions),
        T(test_log_reaches_a_logger_process_until_it_ends),
    };
    return cmocka_run_group_tests_name("core.log", tests, NULL, NULL);
}
