/* A shared library that is not a plugin: it lacks sinkbench_plugin_register. */
int sinkbench_not_a_plugin(void);
int sinkbench_not_a_plugin(void) { return 0; }
