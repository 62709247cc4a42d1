# Our own targets build warning-free; dependency headers are SYSTEM includes.
function(paige_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()
