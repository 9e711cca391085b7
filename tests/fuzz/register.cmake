# Included from tests/CMakeLists.txt: one CTest entry per fuzz target.
foreach(target fuzz-usbip fuzz-usb-bridge fuzz-vdagent-proto fuzz-config fuzz-stream-proto fuzz-pipewire-meta
    fuzz-web-proto fuzz-web-login fuzz-keycode-web fuzz-web-mic fuzz-session-proto)
  add_test(NAME ${target} COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/run.sh
    ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR} ${target} 5)
  set_tests_properties(${target} PROPERTIES LABELS fuzz TIMEOUT 600 SKIP_RETURN_CODE 77)
endforeach()
