if(NOT DEFINED ATLAS_TARGET_PLATFORM)
  message(WARNING "ATLAS_TARGET_PLATFORM is not set, defaulting to Linux")
  set(ATLAS_TARGET_PLATFORM Linux)
endif()
