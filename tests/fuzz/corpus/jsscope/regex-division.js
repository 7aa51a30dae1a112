a = b / c / d; x = /re\/[/]/g.test(s); if (a) /re/.test(b)
function f() { return /}/ } g = (h) / 2 / i; j = {} / 1; k = a.return / 2; l++ / 2
while (x) /[}{]/.exec(y); typeof /x/; z = ")" / 2; m = [1] / 3
