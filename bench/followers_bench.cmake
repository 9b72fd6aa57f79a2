# bench/followers_bench: what parked follow reads cost an append, in process
# through fs::Filesystem (bench/FOLLOWERS_BENCH.md). Included by
# bench/CMakeLists.txt (TOPICFS_BUILD_BENCH); not a ctest test.
add_executable(followers_bench ${CMAKE_CURRENT_LIST_DIR}/followers_bench.cc)
target_link_libraries(followers_bench PRIVATE topicfs_fs benchmark::benchmark)
