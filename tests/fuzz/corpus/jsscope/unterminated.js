function f() { var s = "never closed
  /* comment never closed
  x = `template ${ open
