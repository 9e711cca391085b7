# The Debian package: cpack -G DEB from every install rule of the project.
# Included last by the top-level CMakeLists.txt (CPack sees only that scope).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME thindesk)
set(CPACK_PACKAGE_VENDOR "thindesk")
set(CPACK_PACKAGE_CONTACT "thindesk developers <thindesk@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "remote desktop agent for KVM guests, served over SPICE")
set(CPACK_PACKAGE_DESCRIPTION
  "thindesk-agent runs inside a guest's desktop session, captures the X desktop\n and serves it over the SPICE protocol to any SPICE client (remote-viewer,\n spicy, spice-gtk based tools), injecting keyboard and pointer input back.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# A Debian revision: the package is not a Debian-native one.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime libraries come from dpkg-shlibdeps on the installed binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What the binaries start or load at run time, which dpkg-shlibdeps cannot
# see. tests/packaging/test_freshroot.py installs the package with these into
# a fresh minbase root and takes a screenshot through the client.
# - the agent's --virtual-desktop: Xvfb, the openbox window manager, an xterm;
# - the client's spice-gtk, through GStreamer: audio playback and record
#   (appsrc, appsink, audioconvert, audioresample, volume from -base;
#   autoaudiosink, autoaudiosrc, pulsesink from -good), and the video decoders
#   it advertises to the agent (jpegdec, vp8dec, vp9dec from -good; avdec_h264
#   from -libav). Its H.264 stream pipeline (seen in its debug log:
#   decodebin, h264parse, avdec_h264, videoconvert, videoscale, deinterlace,
#   appsink) also needs h264parse from -bad: without it spice-gtk still
#   announces H.264 (it checks only for a decoder) and then cannot play it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
  "xvfb, openbox, xterm, gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-plugins-bad, gstreamer1.0-libav")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "virt-viewer")
# conffiles, and maintainer scripts that create the groups, reload udev and
# enable the USB helper's socket (what debhelper's snippets would do).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/conffiles
  ${CMAKE_CURRENT_LIST_DIR}/maintainer-scripts/postinst
  ${CMAKE_CURRENT_LIST_DIR}/maintainer-scripts/prerm
  ${CMAKE_CURRENT_LIST_DIR}/maintainer-scripts/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE OFF)
include(CPack)
