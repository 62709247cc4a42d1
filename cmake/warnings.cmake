# Our own targets build warning-free; dependency headers are SYSTEM includes.
function(paige_warnings target)
  if(PAIGE_FUZZ)
    # The fuzzing build is clang's: its warnings differ from GCC's, which the other builds
    # hold at zero.
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  endif()
  if(PAIGE_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (std::regex,
    # std::function) once ASan instruments the code; the Release build keeps the warning.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()
