# Our own targets build warning-free; dependency headers are SYSTEM includes.
function(paige_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(PAIGE_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (std::regex,
    # std::function) once ASan instruments the code; the Release build keeps the warning.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()
