# bench/view_bench and bench/follow_latency: how fast views resolve on 10 M
# records and how soon a follower sees an append (bench/VIEW_BENCH.md).
# Included by bench/CMakeLists.txt (TOPICFS_BUILD_BENCH); neither is a ctest test.
add_executable(view_bench ${CMAKE_CURRENT_LIST_DIR}/view_bench.cc)
target_link_libraries(view_bench PRIVATE topicfs_store benchmark::benchmark)
# Needs only libc and threads: it drives a mount that bench/follow_bench.py starts.
add_executable(follow_latency ${CMAKE_CURRENT_LIST_DIR}/follow_latency.cc)
target_link_libraries(follow_latency PRIVATE Threads::Threads)
