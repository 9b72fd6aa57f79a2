# bench/cleanup_bench: the log cleaner vs cp and retention of 1,000 segments
# (bench/CLEANUP_BENCH.md). Included by bench/CMakeLists.txt.
add_executable(cleanup_bench ${CMAKE_CURRENT_LIST_DIR}/cleanup_bench.cc)
target_link_libraries(cleanup_bench PRIVATE topicfs_store benchmark::benchmark)
