# The installed layout, relocatable: programs in bin/, libsinkbench in lib/, peer plugins in
# lib/sinkbench/peers/. Installed programs and plugins find libsinkbench through an $ORIGIN-relative
# RPATH, so `cmake --install build --prefix ANY/DIR` gives a DIR/bin/sinkbench that starts without
# LD_LIBRARY_PATH (the paths below are relative to each other, not to the prefix).
set(SINKBENCH_INSTALL_PEERDIR "${CMAKE_INSTALL_LIBDIR}/sinkbench/peers")
file(RELATIVE_PATH SINKBENCH_BIN_TO_LIB "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
file(RELATIVE_PATH SINKBENCH_PEER_TO_LIB "${CMAKE_INSTALL_PREFIX}/${SINKBENCH_INSTALL_PEERDIR}"
     "${CMAKE_INSTALL_FULL_LIBDIR}")
# Installed programs find the installed peers from their own folder (io/paths.c).
file(RELATIVE_PATH SINKBENCH_BIN_TO_PEERS "${CMAKE_INSTALL_FULL_BINDIR}"
     "${CMAKE_INSTALL_PREFIX}/${SINKBENCH_INSTALL_PEERDIR}")

# An installed executable.
function(sinkbench_install_program target)
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${SINKBENCH_BIN_TO_LIB}")
  install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# An installed peer plugin (a MODULE library loaded with dlopen).
function(sinkbench_install_peer target)
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${SINKBENCH_PEER_TO_LIB}")
  install(TARGETS ${target} LIBRARY DESTINATION ${SINKBENCH_INSTALL_PEERDIR})
endfunction()
